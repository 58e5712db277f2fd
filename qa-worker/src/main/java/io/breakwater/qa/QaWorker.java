package io.breakwater.qa;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.client.MongoClient;

import io.breakwater.core.breaker.BreakerFleet;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.metrics.ProcessMetrics;
import io.breakwater.core.park.ParkSettings;
import io.breakwater.core.park.Parking;
import io.breakwater.core.park.RateLimiter;
import io.breakwater.core.park.ReplayAdmission;
import io.breakwater.core.pipeline.WorkerLoops;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;

/**
 * The QA worker: consumes {@code qa.questions}, answers each through the {@code llm_service} breaker, stores the
 * outcome in MongoDB and publishes it to {@code qa.answers}, exactly once. While the LLM is down its questions are
 * parked on {@code qa.questions.parked}; a second loop replays them, oldest first, as the breaker lets calls through
 * again. Start with {@link #start}, stop with {@link #close}.
 */
public final class QaWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QaWorker.class);

    private final MongoClient mongo;
    private final PageIndex pages;
    private final BreakerFleet breakers;
    private final WorkerLoops<QuestionHandler.Outcome> loops;
    private final BreakerPolicy llmBreaker;
    private final String answererDescription;

    private QaWorker(MongoClient mongo, PageIndex pages, BreakerFleet breakers, WorkerLoops<QuestionHandler.Outcome> loops,
                     BreakerPolicy llmBreaker,
                     String answererDescription) {
        this.mongo = mongo;
        this.pages = pages;
        this.breakers = breakers;
        this.loops = loops;
        this.llmBreaker = llmBreaker;
        this.answererDescription = answererDescription;
    }

    /**
     * Creates missing topics, connects and starts consuming.
     *
     * @param onFailure called if the worker stops on an error it cannot recover from
     * @throws io.breakwater.core.config.ConfigException if a setting is wrong
     */
    public static QaWorker start(Settings settings, Consumer<Throwable> onFailure) {
        KafkaSettings kafka = KafkaSettings.from(settings);
        MongoSettings mongoSettings = MongoSettings.from(settings);
        Topics topics = Topics.from(settings);
        QaWorkerSettings worker = QaWorkerSettings.from(settings);
        BreakerSettings llmBreakerSettings = BreakerSettings.from(settings, BreakerSettings.LLM_SERVICE);
        LlmSettings llm = LlmSettings.from(settings);
        ParkSettings park = ParkSettings.from(settings, "qa");

        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-qa-worker-admin")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        Answerer answerer = llm.url().isPresent()
                ? new OpenAiAnswerer(llm, llmBreakerSettings.callTimeout().plusSeconds(1))
                : new OfflineAnswerer();
        String description = llm.url().isPresent()
                ? "the LLM " + llm.model() + " at " + llm.url().get()
                : "the offline extractive answerer (set BW_LLM_URL for a language model)";
        FleetSettings fleet = FleetSettings.from(settings);
        Clock clock = Clock.systemUTC();
        BreakerPolicy.Identity identity = new BreakerPolicy.Identity(settings.instanceId(), clock.instant());
        BreakerPolicy llmBreaker = new BreakerPolicy(llmBreakerSettings, identity, fleet.share(), fleet.latencyWindow(),
                clock);
        BreakerPolicy mongoBreaker = new BreakerPolicy(BreakerSettings.from(settings, BreakerSettings.MONGODB), identity,
                fleet.share(), fleet.latencyWindow(), clock);
        // The fleet's view first: a restarted worker starts where the fleet is, not with failures of its own.
        BreakerFleet breakers = BreakerFleet.join(kafka, topics, fleet, settings.instanceId(), "breakwater-qa",
                List.of(llmBreaker, mongoBreaker), ProcessMetrics.fleetMembers());
        // Every crawled page, searchable before the first question is taken.
        PageIndex pages = PageIndex.following(kafka, topics.crawlPages(), "breakwater-qa-pages-" + settings.instanceId(),
                Duration.ofSeconds(30));
        MongoClient mongo = MongoConnections.open(mongoSettings);
        QuestionStore store = new QuestionStore(mongo.getDatabase(mongoSettings.database()));
        Parking parking = new Parking(topics.parkedQuestions().name(), topics.questionsDeadLetter().name(), park, clock);
        QuestionHandler handler = new QuestionHandler(topics, store, llmBreaker, mongoBreaker, answerer,
                question -> pages.search(question, worker.contextPassages()), parking,
                worker.maxRecordBytes(), clock);
        WorkerLoops.Spec loops = new WorkerLoops.Spec("qa-worker", topics.questions().name(),
                topics.parkedQuestions().name(), topics.questionsDeadLetter().name(), worker.groupId(),
                settings.instanceId(), worker.concurrency(), worker.maxInFlight(), worker.commitInterval());
        try {
            WorkerLoops<QuestionHandler.Outcome> running = WorkerLoops.start(loops, kafka, handler,
                    new ReplayAdmission(llmBreaker, worker.maxInFlight(),
                            new RateLimiter(park.replayRatePerSecond(), System::nanoTime), clock), onFailure);
            log.info("QA worker {} consuming {} as group {}, replaying {} at up to {}/s, answering with {}",
                    settings.instanceId(), topics.questions().name(), worker.groupId(), topics.parkedQuestions().name(),
                    park.replayRatePerSecond(), description);
            return new QaWorker(mongo, pages, breakers, running, llmBreaker, description);
        } catch (RuntimeException e) {
            breakers.close();
            pages.close();
            mongo.close();
            throw e;
        }
    }

    /** The {@code llm_service} breaker, for reading its state. */
    public BreakerPolicy llmBreaker() {
        return llmBreaker;
    }

    /** What answers: the LLM and its URL, or the offline answerer. */
    public String answererDescription() {
        return answererDescription;
    }

    public boolean isRunning() {
        return loops.isRunning();
    }

    @Override
    public void close() {
        loops.close();
        breakers.close();
        pages.close();
        mongo.close();
    }
}
