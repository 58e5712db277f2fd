package io.breakwater.qa;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.config.Settings;
import io.breakwater.core.limit.CallLimiter;
import io.breakwater.core.metrics.ProcessMetrics;
import io.breakwater.core.park.ReplayAdmission;
import io.breakwater.core.pipeline.LoopSettings;
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
        List<LlmSettings> chain = LlmSettings.chain(settings);
        // Each fallback has a breaker of its own, with the primary's figures unless its own settings say otherwise.
        BreakerSettings primary = BreakerSettings.from(settings, Dependencies.LLM_SERVICE);
        List<BreakerSettings> breakers = new ArrayList<>(List.of(Dependencies.LLM_SERVICE));
        for (int n = 1; n < chain.size(); n++) {
            breakers.add(primary.named(Dependencies.llmFallback(n)));
        }
        return new QaWorker(WorkerRuntime.start(settings, new Definition(worker, chain, breakers), onFailure));
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

    /**
     * The QA worker as the runtime runs it.
     *
     * @param chain the LLM's deployments, primary first
     * @param llmBreakers their breakers' figures, in the same order
     */
    private record Definition(QaWorkerSettings worker, List<LlmSettings> chain, List<BreakerSettings> llmBreakers)
            implements WorkerDefinition<QuestionHandler.Outcome> {

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

        /** Replay is paced by each deployment's limit of calls in flight: a backlog drains as fast as the LLM takes it. */
        @Override
        public double defaultReplayRatePerSecond() {
            return Double.POSITIVE_INFINITY;
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
            List<BreakerSettings> all = new ArrayList<>(llmBreakers);
            all.add(Dependencies.MONGODB);
            all.add(Dependencies.VECTOR_DB);
            return all;
        }

        @Override
        public Parts<QuestionHandler.Outcome> assemble(WorkerContext context) {
            BreakerPolicy mongoBreaker = context.breaker(Dependencies.MONGODB);
            List<LlmChain.Deployment> deployments = new ArrayList<>();
            List<String> described = new ArrayList<>();
            for (int depth = 0; depth < chain.size(); depth++) {
                LlmSettings llm = chain.get(depth);
                BreakerPolicy breaker = context.breaker(llmBreakers.get(depth));
                // Both loops' calls share it: a replayed backlog drains as fast as the deployment takes calls. The
                // offline answerer computes in this process: more calls at once than a few only cost threads.
                int ceiling = llm.url().isPresent() ? worker.concurrency()
                        : Math.min(worker.concurrency(), LoopSettings.DEFAULT_CONCURRENCY);
                CallLimiter limiter = new CallLimiter(breaker.name(), ceiling, System::nanoTime);
                deployments.add(new LlmChain.Deployment(breaker, limiter, llm.url().isPresent()
                        ? new OpenAiAnswerer(llm, breaker.settings().callTimeout().plusSeconds(1))
                        : new OfflineAnswerer(), llm.contextTokens()));
                described.add(llm.url().map(url -> "the LLM " + llm.model() + " at " + url)
                        .orElse("the offline extractive answerer (set BW_LLM_URL for a language model)"));
            }
            LlmChain llm = new LlmChain(deployments);
            String description = String.join(", falling back to ", described);
            List<AutoCloseable> resources = new ArrayList<>();
            llm.limiters().forEach(limiter -> resources.add(
                    ProcessMetrics.track(limiter, context.settings().instanceId())));
            try {
                // Every crawled page, searchable before the first question is taken.
                PageIndex pages = PageIndex.following(context.kafka(), context.topics().crawlPages(),
                        "breakwater-qa-pages-" + context.settings().instanceId(), Duration.ofSeconds(30));
                resources.add(pages);
                Retrieval retrieval = new Retrieval(context.breaker(Dependencies.VECTOR_DB),
                        question -> pages.search(question, worker.contextPassages()), context.handlerThreads());
                resources.add(retrieval);
                QuestionHandler handler = new QuestionHandler(context.topics(), new QuestionStore(context.database()),
                        llm, mongoBreaker, retrieval, context.parking(), worker.maxRecordBytes(), context.clock());
                // Each parked question waits for what it was parked for: any of the LLM's deployments, or the store.
                ReplayAdmission replay = ReplayAdmission.byParkedBreaker(List.of(llm.gate(), mongoBreaker), llm.gate(),
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
