package io.breakwater.ingest;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.crawl.CrawledPage;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.store.QuestionRecord;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topic;
import io.javalin.http.Context;

/**
 * {@code POST /api/v1/questions} (idempotent with an {@code Idempotency-Key} header or a client-chosen {@code id}),
 * {@code GET /api/v1/questions/{id}} (a long poll with {@code ?wait=30s}), and the seed's synchronous
 * {@code POST /api/v1/qa/ask}. Thread-safe.
 */
final class QuestionRoutes {

    static final String PATH = "/api/v1/questions";
    static final String ASK_PATH = "/api/v1/qa/ask";
    /** The seed's words for an open LLM breaker; its users know them. */
    static final String LLM_UNAVAILABLE = "AI service is temporarily unavailable due to repeated failures."
            + " Circuit breaker is protecting the system. Please try again in a few moments.";

    private static final Logger log = LoggerFactory.getLogger(QuestionRoutes.class);
    private static final Pattern WAIT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s)?");

    /** The body of a 202. */
    record Accepted(String id, QuestionStatus status) {
    }

    private final EventPublisher publisher;
    private final Topic<String, QuestionEvent> topic;
    private final QuestionStore store;
    private final QuestionFeed feed;
    private final BooleanSupplier llmBreakerOpen;
    private final ApiSettings settings;
    private final ApiAccess access;
    private final ExecutorService storeExecutor;
    private final QueuedRecorder queued;
    private final Clock clock;

    /** @param llmBreakerOpen whether the fleet's {@code llm_service} breaker is open now */
    QuestionRoutes(EventPublisher publisher, Topic<String, QuestionEvent> topic, QuestionStore store, QuestionFeed feed,
                   BooleanSupplier llmBreakerOpen, ApiSettings settings, ApiAccess access, ExecutorService storeExecutor,
                   QueuedRecorder queued, Clock clock) {
        this.publisher = publisher;
        this.topic = topic;
        this.store = store;
        this.feed = feed;
        this.llmBreakerOpen = llmBreakerOpen;
        this.settings = settings;
        this.access = access;
        this.storeExecutor = storeExecutor;
        this.queued = queued;
        this.clock = clock;
    }

    /**
     * Answers 202 only once Kafka acknowledged the question: a 202 is a promise that it will be answered. With an
     * {@code Idempotency-Key} or a client-chosen {@code id}, a retry returns the question already accepted.
     */
    void submit(Context ctx) {
        SubmitRequest.Submit request = SubmitRequest.parse(ctx.bodyAsBytes());
        String caller = ApiAccess.caller(ctx);
        Optional<String> chosen = request.id().or(() -> Optional.ofNullable(ctx.header("Idempotency-Key"))
                .filter(key -> !key.isBlank()).map(key -> idempotentId(caller, key)));
        // Only a chosen id can name a question accepted before: without one, nothing to look up.
        CompletableFuture<Optional<QuestionRecord>> previous = chosen.isEmpty()
                ? CompletableFuture.completedFuture(Optional.empty())
                : CompletableFuture.supplyAsync(() -> chosen.flatMap(store::find).map(found -> visibleTo(ctx, found)),
                        storeExecutor);
        CompletableFuture<Void> done = previous
                .thenCompose(existing -> {
                    if (existing.isPresent()) {
                        return CompletableFuture.completedFuture(replay(ctx, existing.get(), request.question()));
                    }
                    QuestionEvent question = new QuestionEvent(chosen.orElseGet(() -> UUID.randomUUID().toString()),
                            request.question(), clock.instant());
                    return accept(question, owner(ctx)).thenApply(accepted -> {
                        ctx.status(202).header("Location", PATH + "/" + question.id())
                                .json(new Accepted(question.id(), QuestionStatus.QUEUED));
                        return null;
                    });
                });
        ctx.future(() -> done);
    }

    /** {@code ?wait=30s}: answers as soon as the question has ended, or when the wait is over. */
    void find(Context ctx) {
        String id = ctx.pathParam("id");
        Duration wait = waitParam(ctx.queryParam("wait"));
        if (wait.isZero()) {
            ctx.json(store.find(id).map(found -> visibleTo(ctx, found)).orElseThrow(() -> notFound(id)));
            return;
        }
        // Wait for news first, then look: an answer that lands in between is not missed.
        CompletableFuture<QuestionFeed.News> news = feed.next(id, EnumSet.of(QuestionFeed.News.ENDED));
        CompletableFuture<Void> done = CompletableFuture.supplyAsync(() -> store.find(id)
                        .map(found -> visibleTo(ctx, found)).orElseThrow(() -> notFound(id)), storeExecutor)
                .thenCompose(found -> hasEnded(found) ? CompletableFuture.completedFuture(found)
                        : news.completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS)
                                .thenApplyAsync(ignored -> store.find(id).orElse(found), storeExecutor))
                .whenComplete((record, error) -> news.cancel(false))
                .thenAccept(ctx::json);
        ctx.future(() -> done);
    }

    /**
     * The seed's synchronous ask: the question is accepted as any other, then the answer is awaited (up to
     * {@code api.ask.wait.seconds}). While the {@code llm_service} breaker is open, or once the question is parked,
     * it answers at once with the seed's message and the id under which the question will still be answered.
     */
    void ask(Context ctx) {
        SubmitRequest.Submit request = SubmitRequest.parse(ctx.bodyAsBytes());
        QuestionEvent question = new QuestionEvent(UUID.randomUUID().toString(), request.question(), clock.instant());
        boolean openBefore = llmBreakerOpen.getAsBoolean();
        CompletableFuture<QuestionFeed.News> news = feed.next(question.id(),
                EnumSet.of(QuestionFeed.News.ENDED, QuestionFeed.News.PARKED));
        CompletableFuture<Void> done = accept(question, owner(ctx))
                .thenCompose(accepted -> openBefore ? CompletableFuture.completedFuture(QuestionFeed.News.PARKED)
                        : news.completeOnTimeout(null, settings.askWait().toMillis(), TimeUnit.MILLISECONDS))
                .thenApplyAsync(outcome -> {
                    if (outcome == QuestionFeed.News.PARKED) {
                        return unavailable(ctx, question.id());
                    }
                    Optional<QuestionRecord> record = store.find(question.id());
                    if (outcome == QuestionFeed.News.ENDED && record.isPresent()) {
                        ctx.json(record.get());
                    } else {
                        ctx.status(202).header("Location", PATH + "/" + question.id())
                                .json(new Accepted(question.id(), record.map(QuestionRecord::status)
                                        .orElse(QuestionStatus.QUEUED)));
                    }
                    return null;
                }, storeExecutor)
                .whenComplete((ignored, error) -> news.cancel(false))
                .thenApply(ignored -> null);
        ctx.future(() -> done);
    }

    private Object unavailable(Context ctx, String id) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", LLM_UNAVAILABLE);
        body.put("status", 503);
        body.put("id", id);
        body.put("questionStatus", QuestionStatus.PARKED.wireName());
        body.put("location", PATH + "/" + id);
        body.put("note", "Your question was accepted and will be answered automatically when the AI service"
                + " recovers; follow it at the location.");
        ctx.status(503).header("Retry-After", "5").json(body);
        return null;
    }

    /** Publishes, then records it queued (best effort); fails with a 503 if Kafka did not acknowledge it. */
    private CompletableFuture<Void> accept(QuestionEvent question, String owner) {
        return publisher.publish(topic, question.id(), question)
                .handle((metadata, error) -> {
                    if (error != null) {
                        log.warn("Question not accepted: Kafka did not acknowledge it: {}", error.toString());
                        throw new ApiException(503, "The question was not accepted because Kafka is unavailable ("
                                + error.getMessage() + "). Nothing was queued; please retry.");
                    }
                    return metadata;
                })
                .thenCompose(metadata -> queued.record(question, owner));
    }

    private Void replay(Context ctx, QuestionRecord existing, String question) {
        if (existing.question() != null && !existing.question().equals(question)) {
            throw new CompletionException(new ApiException(409, "The id '" + existing.id() + "' belongs to another"
                    + " question already; choose a new id (or Idempotency-Key) for a new question."));
        }
        ctx.status(202).header("Location", PATH + "/" + existing.id()).header("Idempotent-Replay", "true")
                .json(new Accepted(existing.id(), existing.status()));
        return null;
    }

    /** An id derived from a caller's idempotency key: the same key from the same caller, the same question. */
    static String idempotentId(String caller, String key) {
        return "idem-" + CrawledPage.hash(caller, key).substring(0, 32);
    }

    /** The caller, as owner of what it asks, when API keys are in use; else nobody in particular. */
    private String owner(Context ctx) {
        return access.keysRequired() ? ApiAccess.caller(ctx) : null;
    }

    /** With API keys, a question is there only for the key that asked it (404 for others: not even its existence). */
    private QuestionRecord visibleTo(Context ctx, QuestionRecord record) {
        if (access.keysRequired() && record.owner() != null && !record.owner().equals(ApiAccess.caller(ctx))) {
            throw notFound(record.id());
        }
        return record;
    }

    /** @throws ApiException 400 if {@code value} is not a wait such as {@code 30s}, {@code 1.5s}, {@code 500ms} */
    Duration waitParam(String value) {
        if (value == null || value.isBlank()) {
            return Duration.ZERO;
        }
        Matcher matcher = WAIT.matcher(value.strip());
        if (!matcher.matches()) {
            throw ApiException.badRequest("Parameter 'wait' must be a duration such as 30s, 1.5s or 500ms, but was '"
                    + value + "'.");
        }
        double amount = Double.parseDouble(matcher.group(1));
        Duration wait = "ms".equals(matcher.group(2)) ? Duration.ofMillis((long) amount)
                : Duration.ofMillis((long) (amount * 1000));
        if (wait.compareTo(settings.maxWait()) > 0) {
            throw ApiException.badRequest("Parameter 'wait' may be at most " + settings.maxWait().toSeconds()
                    + "s, but was '" + value + "'.");
        }
        return wait;
    }

    private static boolean hasEnded(QuestionRecord record) {
        return record.status() == QuestionStatus.ANSWERED || record.status() == QuestionStatus.FAILED;
    }

    private static ApiException notFound(String id) {
        return ApiException.notFound("No question with id '" + id + "'. Use the id that POST " + PATH + " returned.");
    }
}
