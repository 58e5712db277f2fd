package io.breakwater.qa;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.config.Settings;
import io.breakwater.core.park.ReplayAdmission;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topics;
import io.breakwater.core.worker.WorkerContext;
import io.breakwater.core.worker.WorkerDefinition;
import io.breakwater.core.worker.WorkerRuntime;
import io.breakwater.core.worker.WorkerSettings;

/**
 * The QA worker: consumes {@code qa.questions}, answers each through the {@code llm_service} breaker with context
 * retrieved through the {@code vector_db} breaker, stores the outcome in MongoDB and publishes it to
 * {@code qa.answers}, exactly once. While the LLM or the store is down its questions are parked on
 * {@code qa.questions.parked}; a second loop replays them, oldest first, as their breakers let calls through again.
 * Start with {@link #start}, stop with {@link #close}.
 */
public final class QaWorker implements AutoCloseable {

    private final WorkerRuntime<QuestionHandler.Outcome> runtime;

    private QaWorker(WorkerRuntime<QuestionHandler.Outcome> runtime) {
        this.runtime = runtime;
    }

    /**
     * Creates missing topics, connects and starts consuming.
     *
     * @param onFailure called if the worker stops on an error it cannot recover from
     * @throws io.breakwater.core.config.ConfigException if a setting is wrong
     */
    public static QaWorker start(Settings settings, Consumer<Throwable> onFailure) {
        // Read first: a bad setting stops the start before anything connects.
        QaWorkerSettings worker = QaWorkerSettings.from(settings);
        LlmSettings llm = LlmSettings.from(settings);
        return new QaWorker(WorkerRuntime.start(settings, new Definition(worker, llm), onFailure));
    }

    /** The {@code llm_service} breaker, for reading its state. */
    public BreakerPolicy llmBreaker() {
        return runtime.breaker(Dependencies.LLM_SERVICE.name());
    }

    /** What answers: the LLM and its URL, or the offline answerer. */
    public String answererDescription() {
        return runtime.description().replaceFirst("^answering with ", "");
    }

    public boolean isRunning() {
        return runtime.isRunning();
    }

    @Override
    public void close() {
        runtime.close();
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            // Starting failed already: that failure is the one to report.
        }
    }

    /** The QA worker as the runtime runs it. */
    private record Definition(QaWorkerSettings worker, LlmSettings llm) implements WorkerDefinition<QuestionHandler.Outcome> {

        @Override
        public String name() {
            return "qa-worker";
        }

        @Override
        public String title() {
            return "QA worker";
        }

        @Override
        public String settingsPrefix() {
            return "qa";
        }

        @Override
        public WorkerSettings workerSettings(Settings settings) {
            return worker.loops();
        }

        @Override
        public WorkTopics topics(Topics topics) {
            return new WorkTopics(topics.questions().name(), topics.parkedQuestions().name(),
                    topics.questionsDeadLetter().name());
        }

        @Override
        public List<BreakerSettings> dependencies() {
            return List.of(Dependencies.LLM_SERVICE, Dependencies.MONGODB, Dependencies.VECTOR_DB);
        }

        @Override
        public Parts<QuestionHandler.Outcome> assemble(WorkerContext context) {
            BreakerPolicy llmBreaker = context.breaker(Dependencies.LLM_SERVICE);
            BreakerPolicy mongoBreaker = context.breaker(Dependencies.MONGODB);
            Answerer answerer = llm.url().isPresent()
                    ? new OpenAiAnswerer(llm, llmBreaker.settings().callTimeout().plusSeconds(1))
                    : new OfflineAnswerer();
            String description = llm.url().isPresent()
                    ? "the LLM " + llm.model() + " at " + llm.url().get()
                    : "the offline extractive answerer (set BW_LLM_URL for a language model)";
            // Every crawled page, searchable before the first question is taken.
            PageIndex pages = PageIndex.following(context.kafka(), context.topics().crawlPages(),
                    "breakwater-qa-pages-" + context.settings().instanceId(), Duration.ofSeconds(30));
            List<AutoCloseable> resources = new ArrayList<>(List.of(pages));
            try {
                Retrieval retrieval = new Retrieval(context.breaker(Dependencies.VECTOR_DB),
                        question -> pages.search(question, worker.contextPassages()), context.handlerThreads());
                resources.add(retrieval);
                QuestionHandler handler = new QuestionHandler(context.topics(), new QuestionStore(context.database()),
                        llmBreaker, mongoBreaker, answerer, retrieval, context.parking(), worker.maxRecordBytes(),
                        context.clock());
                // Each parked question waits for the breaker it was parked for: the LLM's, or the store's.
                ReplayAdmission replay = ReplayAdmission.byParkedBreaker(List.of(llmBreaker, mongoBreaker), llmBreaker,
                        worker.maxInFlight(), context.replayRate(), context.clock());
                return new Parts<>(handler, replay, resources, "answering with " + description);
            } catch (RuntimeException e) {
                java.util.Collections.reverse(resources);
                resources.forEach(QaWorker::closeQuietly);
                throw e;
            }
        }
    }
}
