package io.breakwater.ingest;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topic;
import io.javalin.http.Context;

/** {@code POST /api/v1/questions} and {@code GET /api/v1/questions/{id}}. Thread-safe. */
final class QuestionRoutes {

    static final String PATH = "/api/v1/questions";

    private static final Logger log = LoggerFactory.getLogger(QuestionRoutes.class);

    /** The body of a 202. */
    record Accepted(String id, QuestionStatus status) {
    }

    private final EventPublisher publisher;
    private final Topic<String, QuestionEvent> topic;
    private final QuestionStore store;
    private final ExecutorService storeExecutor;
    private final Clock clock;

    QuestionRoutes(EventPublisher publisher, Topic<String, QuestionEvent> topic, QuestionStore store,
                   ExecutorService storeExecutor, Clock clock) {
        this.publisher = publisher;
        this.topic = topic;
        this.store = store;
        this.storeExecutor = storeExecutor;
        this.clock = clock;
    }

    /** Answers 202 only once Kafka acknowledged the question: a 202 is a promise that it will be answered. */
    void submit(Context ctx) {
        QuestionEvent question = new QuestionEvent(UUID.randomUUID().toString(), SubmitRequest.question(ctx.bodyAsBytes()),
                clock.instant());
        CompletableFuture<Void> done = publisher.publish(topic, question.id(), question)
                .handle((metadata, error) -> {
                    if (error != null) {
                        log.warn("Question not accepted: Kafka did not acknowledge it: {}", error.toString());
                        throw new ApiException(503, "The question was not accepted because Kafka is unavailable ("
                                + error.getMessage() + "). Nothing was queued; please retry.");
                    }
                    return metadata;
                })
                .thenAcceptAsync(metadata -> recordQueued(question), storeExecutor)
                .thenRun(() -> ctx.status(202)
                        .header("Location", PATH + "/" + question.id())
                        .json(new Accepted(question.id(), QuestionStatus.QUEUED)));
        ctx.future(() -> done);
    }

    void find(Context ctx) {
        String id = ctx.pathParam("id");
        ctx.json(store.find(id).orElseThrow(() -> ApiException.notFound("No question with id '" + id
                + "'. Use the id that POST " + PATH + " returned.")));
    }

    /**
     * Best effort: the question is already safe in Kafka, and the worker records it when it answers. Without this
     * record a GET before the answer shows 404 instead of queued.
     */
    private void recordQueued(QuestionEvent question) {
        try {
            store.recordQueued(question, clock.instant());
        } catch (RuntimeException e) {
            log.warn("Question {} accepted but not recorded as queued (MongoDB: {}); it shows once answered",
                    question.id(), e.toString());
        }
    }
}
