package io.breakwater.ingest;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
    /** The longest {@code Idempotency-Key} header read; longer ones get 400. */
    static final int MAX_IDEMPOTENCY_KEY = 200;
    /** The longest wait a 503 asks a caller for: the LLM's breaker's open time is a minute by default. */
    static final long MAX_RETRY_AFTER_SECONDS = 300;
    private static final Pattern WAIT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s)?");

    /** The body of a 202. */
    record Accepted(String id, QuestionStatus status) {
    }

    private final EventPublisher publisher;
    private final Topic<String, QuestionEvent> topic;
    private final QuestionStore store;
    private final QuestionFeed feed;
    private final Supplier<Optional<Duration>> llmUnavailableFor;
    private final ApiSettings settings;
    private final ApiAccess access;
    private final StoreCalls calls;
    private final QueuedRecorder queued;
    private final Clock clock;

    /**
     * @param llmUnavailableFor how long the fleet's LLM deployments are all open or cooling, as far as
     *     {@code breaker.health} says; empty while any takes calls
     */
    QuestionRoutes(EventPublisher publisher, Topic<String, QuestionEvent> topic, QuestionStore store, QuestionFeed feed,
                   Supplier<Optional<Duration>> llmUnavailableFor, ApiSettings settings, ApiAccess access, StoreCalls calls,
                   QueuedRecorder queued, Clock clock) {
        this.publisher = publisher;
        this.topic = topic;
        this.store = store;
        this.feed = feed;
        this.llmUnavailableFor = llmUnavailableFor;
        this.settings = settings;
        this.access = access;
        this.calls = calls;
        this.queued = queued;
        this.clock = clock;
    }

    /**
     * Answers 202 only once Kafka acknowledged the question: a 202 is a promise that it will be answered. With an
     * {@code Idempotency-Key} or a client-chosen {@code id}, the id is first claimed in the store, atomically, so that
     * of two requests for one id only one publishes; a retry of the same question by the same caller returns the
     * question already accepted (or, if Kafka never said whether it took it, publishes it again: the worker answers
     * an id once, whatever number of times it is on the topic).
     */
    void submit(Context ctx) {
        SubmitRequest.Submit request = SubmitRequest.parse(ctx.bodyAsBytes());
        String caller = ApiAccess.caller(ctx);
        Optional<String> chosen = request.id().or(() -> idempotencyKey(ctx).map(key -> idempotentId(caller, key)));
        String owner = owner(ctx);
        QuestionEvent question = new QuestionEvent(chosen.orElseGet(() -> UUID.randomUUID().toString()),
                request.question(), clock.instant());
        // With API keys every question is claimed, the server's ids too: the claim records its owner before a worker
        // can create the document without one (which no key may read).
        CompletableFuture<Void> done = chosen.isEmpty() && owner == null
                ? accept(question, null, null).thenRun(() -> accepted(ctx, question.id(), QuestionStatus.QUEUED, false))
                : calls.call(() -> store.claim(question, owner, clock.instant()))
                        .thenCompose(claim -> claimed(ctx, question, owner, claim));
        ctx.future(() -> done);
    }

    /** What follows a claim: publish if won, else compare with who holds the id. */
    private CompletableFuture<Void> claimed(Context ctx, QuestionEvent question, String owner, QuestionStore.Claim claim) {
        if (claim.won()) {
            return accept(question, owner, new Claimed(claim.token(), true))
                    .thenRun(() -> accepted(ctx, question.id(), QuestionStatus.QUEUED, false));
        }
        QuestionRecord holder = claim.holder();
        if (access.keysRequired() && !Objects.equals(holder.owner(), owner)) {
            throw new CompletionException(new ApiException(409, "The id '" + question.id() + "' is taken; choose"
                    + " another id (or Idempotency-Key) for your question."));
        }
        if (holder.question() != null && !holder.question().equals(question.question())) {
            throw new CompletionException(new ApiException(409, "The id '" + holder.id() + "' belongs to another"
                    + " question already; choose a new id (or Idempotency-Key) for a new question."));
        }
        boolean stale = claim.claimedAt() != null
                && claim.claimedAt().plus(publisher.maxPublishTime().multipliedBy(2)).isBefore(clock.instant());
        return switch (claim.publication()) {
            case CONFIRMED -> CompletableFuture.completedFuture(null)
                    .thenRun(() -> accepted(ctx, holder.id(), holder.status(), true));
            case PUBLISHING -> {
                if (!stale) {
                    throw new CompletionException(inProgress(question.id()));
                }
                yield republish(ctx, question, owner, claim);
            }
            case UNCONFIRMED -> republish(ctx, question, owner, claim);
        };
    }

    /** The same question again, for a claim whose question may or may not be on Kafka: one retry at a time. */
    private CompletableFuture<Void> republish(Context ctx, QuestionEvent question, String owner,
                                              QuestionStore.Claim claim) {
        return calls.call(() -> store.retakeClaim(question.id(), claim.token(), clock.instant()))
                .thenCompose(token -> accept(question, owner,
                        new Claimed(token.orElseThrow(() -> inProgress(question.id())), false)))
                .thenRun(() -> accepted(ctx, question.id(), QuestionStatus.QUEUED, false));
    }

    private void accepted(Context ctx, String id, QuestionStatus status, boolean replay) {
        ctx.status(202).header("Location", PATH + "/" + id);
        if (replay) {
            ctx.header("Idempotent-Replay", "true");
        }
        ctx.json(new Accepted(id, status));
    }

    private static ApiException inProgress(String id) {
        return new ApiException(409, "Another request with the id '" + id + "' is being accepted right now; retry in"
                + " a second to learn how it went.", Map.of("Retry-After", "1"));
    }

    private Optional<String> idempotencyKey(Context ctx) {
        String key = ctx.header("Idempotency-Key");
        if (key == null || key.isBlank()) {
            return Optional.empty();
        }
        if (key.length() > MAX_IDEMPOTENCY_KEY) {
            throw ApiException.badRequest("Header 'Idempotency-Key' may be at most " + MAX_IDEMPOTENCY_KEY
                    + " characters, but was " + key.length() + ".");
        }
        return Optional.of(key);
    }

    /** {@code ?wait=30s}: answers as soon as the question has ended, or when the wait is over. */
    void find(Context ctx) {
        String id = ctx.pathParam("id");
        requireValidId(id);
        // Read on the request's thread: the store calls below run on others.
        String caller = ApiAccess.caller(ctx);
        Duration wait = waitParam(ctx.queryParam("wait"));
        if (wait.isZero()) {
            CompletableFuture<QuestionRecord> found = calls.call(() -> store.find(id)
                    .map(record -> visibleTo(caller, record)).orElseThrow(() -> notFound(id)));
            ctx.future(() -> found.thenAccept(ctx::json));
            return;
        }
        // Wait for news first, then look: an answer that lands in between is not missed.
        CompletableFuture<QuestionFeed.News> news = feed.next(id, EnumSet.of(QuestionFeed.News.ENDED));
        CompletableFuture<Void> done = calls.call(() -> store.find(id)
                        .map(found -> visibleTo(caller, found)).orElseThrow(() -> notFound(id)))
                .thenCompose(found -> hasEnded(found) ? CompletableFuture.completedFuture(found)
                        : news.completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS)
                                .thenCompose(ignored -> calls.call(() -> store.find(id).orElse(found))))
                .whenComplete((record, error) -> news.cancel(false))
                .thenAccept(ctx::json);
        ctx.future(() -> done);
    }

    /** @throws ApiException 400 if {@code id} could not be a question's id (too long, odd characters) */
    static void requireValidId(String id) {
        if (!QuestionEvent.ID_PATTERN.matcher(id).matches()) {
            throw ApiException.badRequest("'" + (id.length() > 40 ? id.substring(0, 40) + "..." : id) + "' is not a"
                    + " question id: ids are 1 to 128 letters, digits, '.', '_', ':' or '-'.");
        }
    }

    /**
     * The seed's synchronous ask: the question is accepted as any other, then the answer is awaited (up to
     * {@code api.ask.wait.seconds}). While the {@code llm_service} breaker is open, or once the question is parked,
     * it answers at once with the seed's message and the id under which the question will still be answered.
     */
    void ask(Context ctx) {
        SubmitRequest.Submit request = SubmitRequest.parse(ctx.bodyAsBytes());
        QuestionEvent question = new QuestionEvent(UUID.randomUUID().toString(), request.question(), clock.instant());
        Optional<Duration> unavailableFor = llmUnavailableFor.get();
        boolean openBefore = unavailableFor.isPresent();
        CompletableFuture<QuestionFeed.News> news = feed.next(question.id(),
                EnumSet.of(QuestionFeed.News.ENDED, QuestionFeed.News.PARKED));
        String owner = owner(ctx);
        // With API keys, claimed first as in submit, so that the owner is on record before a worker sees it.
        CompletableFuture<Void> accepted = owner == null ? accept(question, null, null)
                : calls.call(() -> store.claim(question, owner, clock.instant()))
                        .thenCompose(claim -> accept(question, owner, new Claimed(claim.token(), true)));
        CompletableFuture<Void> done = accepted
                .thenCompose(ignored -> openBefore ? CompletableFuture.completedFuture(QuestionFeed.News.PARKED)
                        : news.completeOnTimeout(null, settings.askWait().toMillis(), TimeUnit.MILLISECONDS))
                .thenCompose(outcome -> {
                    if (outcome == QuestionFeed.News.PARKED) {
                        return CompletableFuture.completedFuture(unavailable(ctx, question.id(),
                                unavailableFor.or(llmUnavailableFor).orElse(IngestApi.UNKNOWN_WAIT)));
                    }
                    // Accepted already: a store that is busy or frozen makes it a 202 with the id, never an error.
                    return calls.call(() -> findQuietly(question.id()))
                            .exceptionally(busy -> Optional.empty())
                            .thenApply(record -> {
                                if (outcome == QuestionFeed.News.ENDED && record.isPresent()) {
                                    ctx.json(record.get());
                                } else {
                                    ctx.status(202).header("Location", PATH + "/" + question.id())
                                            .json(new Accepted(question.id(), record.map(QuestionRecord::status)
                                                    .orElse(QuestionStatus.QUEUED)));
                                }
                                return null;
                            });
                })
                .whenComplete((ignored, error) -> news.cancel(false))
                .thenApply(ignored -> null);
        ctx.future(() -> done);
    }

    /** The 503 of a question parked because the LLM is down, telling when to ask again: when it may answer. */
    private Object unavailable(Context ctx, String id, Duration retryAfter) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", LLM_UNAVAILABLE);
        body.put("status", 503);
        body.put("id", id);
        body.put("questionStatus", QuestionStatus.PARKED.wireName());
        body.put("location", PATH + "/" + id);
        body.put("note", "Your question was accepted and will be answered automatically when the AI service"
                + " recovers; follow it at the location.");
        ctx.status(503).header("Retry-After", Long.toString(retryAfterSeconds(retryAfter))).json(body);
        return null;
    }

    /** Whole seconds, rounded up, from 1 to {@link #MAX_RETRY_AFTER_SECONDS}, for a {@code Retry-After}. */
    static long retryAfterSeconds(Duration wait) {
        // Compared as durations first: an open_until read off breaker.health may be centuries away.
        return wait.compareTo(Duration.ofSeconds(MAX_RETRY_AFTER_SECONDS)) >= 0 ? MAX_RETRY_AFTER_SECONDS
                : Math.max(1, (wait.toMillis() + 999) / 1000);
    }

    /** A claim this request holds on a question's id; {@code fresh} unless it took over an unconfirmed one. */
    private record Claimed(String token, boolean fresh) {
    }

    /**
     * Publishes, then records it queued (best effort). If Kafka did not acknowledge it, settles the claim first (so
     * that a retry finds it settled), then fails with a 503 that says honestly whether the question may be queued.
     *
     * @param claim the claim on its id, or null if the server chose the id
     */
    private CompletableFuture<Void> accept(QuestionEvent question, String owner, Claimed claim) {
        return publisher.publish(topic, question.id(), question)
                .handle((metadata, error) -> error == null ? queued.record(question, owner)
                        : settle(question, owner, claim, error).thenRun(() -> {
                            throw notAccepted(question.id(), error);
                        }))
                .thenCompose(written -> written);
    }

    /**
     * After a failed publish: a claimed id certainly not sent is released (retry at will); one that may have been
     * sent, or that took over an unconfirmed claim, is kept and marked unconfirmed, so that nobody else can claim the
     * id while the question may still land, and its owner may retry it. Best effort: a claim left as it is reads as
     * unconfirmed once it is older than twice the longest publish.
     */
    private CompletableFuture<Void> settle(QuestionEvent question, String owner, Claimed claim, Throwable error) {
        boolean maybeSent = NotAcknowledgedException.maybeSent(error);
        log.warn("Question {} not accepted: Kafka did not acknowledge it ({}): {}", question.id(),
                maybeSent ? "it may have been sent" : "not sent", error.toString());
        Runnable write;
        if (claim == null) {
            write = maybeSent ? () -> store.recordUnconfirmed(question, owner, clock.instant()) : () -> { };
        } else {
            write = !maybeSent && claim.fresh() ? () -> store.releaseClaim(question.id(), claim.token())
                    : () -> store.markUnconfirmed(question.id(), claim.token());
        }
        try {
            return CompletableFuture.runAsync(write, calls.executor()).exceptionally(failed -> {
                log.warn("Question {}: cannot settle its claim (MongoDB: {})", question.id(), failed.toString());
                return null;
            });
        } catch (ApiException busy) {
            return CompletableFuture.completedFuture(null);
        }
    }

    static CompletionException notAccepted(String id, Throwable error) {
        Throwable root = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (!NotAcknowledgedException.maybeSent(error)) {
            return new CompletionException(new ApiException(503, "The question was not accepted because Kafka is"
                    + " unavailable (" + root.getMessage() + "). Nothing was queued; please retry.",
                    Map.of("Retry-After", "5")));
        }
        return new CompletionException(new ApiException(503, "Kafka did not confirm the question in time ("
                + root.getMessage() + "): it may or may not have been queued, as '" + id + "'. To retry safely, send"
                + " it again with \"id\": \"" + id + "\" (or the same Idempotency-Key): it is answered once.",
                Map.of("Retry-After", "5")));
    }

    private Optional<QuestionRecord> findQuietly(String id) {
        try {
            return store.find(id);
        } catch (RuntimeException e) {
            log.debug("Cannot read question {} (MongoDB: {})", id, e.toString());
            return Optional.empty();
        }
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
    private QuestionRecord visibleTo(String caller, QuestionRecord record) {
        // A question nobody asked through the API (published straight to Kafka) has no owner: no key may read it.
        if (access.keysRequired() && !caller.equals(record.owner())) {
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
