package io.breakwater.ingest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.client.MongoClient;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.FleetHealth;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.config.WorkerGroups;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.metrics.ProcessMetrics;
import io.breakwater.core.store.CrawlStore;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;

/**
 * The HTTP front door: takes questions onto Kafka and serves what is known of them. Every error is JSON,
 * {@code {"error": "...", "status": N}}. Start with {@link #start}, stop with {@link #close}.
 */
public final class IngestApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestApi.class);

    private final Javalin app;
    private final StoreCalls storeCalls;
    private final List<AutoCloseable> parts;

    private IngestApi(Javalin app, StoreCalls storeCalls, List<AutoCloseable> parts) {
        this.app = app;
        this.storeCalls = storeCalls;
        this.parts = parts;
    }

    /**
     * Creates missing topics, connects and starts listening.
     *
     * @throws io.breakwater.core.config.ConfigException if a setting is wrong
     * @throws IllegalStateException if Kafka cannot be reached or the port is taken
     */
    public static IngestApi start(Settings settings) {
        ApiSettings api = ApiSettings.from(settings);
        ApiAccess access = ApiAccess.from(settings);
        KafkaSettings kafka = KafkaSettings.from(settings);
        MongoSettings mongoSettings = MongoSettings.from(settings);
        Topics topics = Topics.from(settings);
        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-ingest-api-admin")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        MongoClient mongo = MongoConnections.open(mongoSettings);
        // Local to this instance (not shared with a fleet), but named by it: several APIs' metrics must not collide.
        BreakerPolicy kafkaBreaker = new BreakerPolicy(BreakerSettings.from(settings, Dependencies.KAFKA),
                new BreakerPolicy.Identity(settings.instanceId(), Instant.now()), false,
                Duration.ofSeconds(60), Clock.systemUTC());
        EventPublisher publisher = new EventPublisher(kafka, kafkaBreaker);
        ProcessMetrics.track(kafkaBreaker);
        StoreCalls storeCalls = new StoreCalls(api.storeThreads(), api.storeQueue(), api.storeTimeout());
        FleetHealth fleet = FleetHealth.follow(kafka, topics.breakerHealth(), "breakwater-ingest-health");
        QuestionFeed feed = QuestionFeed.start(kafka, topics, "breakwater-ingest-feed");
        QuestionStore questionStore = new QuestionStore(mongo.getDatabase(mongoSettings.database()));
        QueuedRecorder queued = new QueuedRecorder(questionStore, Clock.systemUTC(), api.storeTimeout());
        QuestionRoutes questions = new QuestionRoutes(publisher, topics.questions(), questionStore, feed,
                () -> llmUnavailableFor(fleet.breakers().values(), Clock.systemUTC().instant()), api, access,
                storeCalls, queued, Clock.systemUTC());
        CrawlRoutes crawl = new CrawlRoutes(publisher, topics.crawlJobs(),
                new CrawlStore(mongo.getDatabase(mongoSettings.database())), storeCalls, Clock.systemUTC());
        AnswerSocket answers = new AnswerSocket(new QuestionStore(mongo.getDatabase(mongoSettings.database())), feed,
                access, storeCalls, api);
        DependencyChecks checks = new DependencyChecks(KafkaClients.createAdmin(kafka, "breakwater-ingest-health-admin"),
                kafkaBreaker, mongo.getDatabase(mongoSettings.database()), Clock.systemUTC());
        HealthRoutes health = new HealthRoutes(fleet, checks, kafkaBreaker, topics.breakerHealth().name());
        Backlog backlog = new Backlog(KafkaClients.createAdmin(kafka, "breakwater-ingest-backlog-admin"), List.of(
                new Backlog.Count("parkedQuestions", topics.parkedQuestions().name(),
                        WorkerGroups.replayOf(WorkerGroups.qa(settings))),
                new Backlog.Count("parkedCrawlJobs", topics.crawlJobsParked().name(),
                        WorkerGroups.replayOf(WorkerGroups.crawler(settings))),
                new Backlog.Count("deadLetteredQuestions", topics.questionsDeadLetter().name(), null),
                new Backlog.Count("deadLetteredCrawlJobs", topics.crawlJobsDeadLetter().name(), null)));
        DashboardRoutes dashboard = new DashboardRoutes(fleet, backlog, Clock.systemUTC());
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jsonMapper(new JavalinJackson(EventJson.mapper(), false));
            config.http.prefer405over404 = true;
            config.http.maxRequestSize = api.maxBodyBytes();
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.requestLogger.http(HttpMetrics::observe);
            config.routes.before("/api/*", ctx -> {
                if (!ctx.path().equals(AnswerSocket.PATH)) {
                    try {
                        access.check(ctx);
                        if (ctx.method().name().equals("POST")) {
                            JsonContent.require(ctx.contentType());
                        }
                    } catch (ApiException refused) {
                        drain(ctx, api.maxBodyBytes());
                        throw refused;
                    }
                }
            });
            config.routes.ws(AnswerSocket.PATH, answers::configure);
            config.routes.post(QuestionRoutes.PATH, questions::submit);
            config.routes.get(QuestionRoutes.PATH + "/{id}", questions::find);
            config.routes.post(QuestionRoutes.ASK_PATH, questions::ask);
            config.routes.post(CrawlRoutes.PATH, crawl::submit);
            config.routes.get(CrawlRoutes.PATH + "/{id}", crawl::find);
            config.routes.get(DashboardRoutes.PAGE, dashboard::page);
            config.routes.get(DashboardRoutes.STATE, dashboard::state);
            config.routes.sse(DashboardRoutes.EVENTS, dashboard::events);
            config.routes.get(HealthRoutes.PATH, health::health);
            config.routes.get("/metrics", ctx -> ctx.contentType(ProcessMetrics.contentType()).result(ProcessMetrics.scrape()));
            config.routes.get(HealthRoutes.PATH + "/live", health::live);
            config.routes.get(HealthRoutes.PATH + "/ready", health::ready);
            config.routes.exception(ApiException.class, (e, ctx) -> {
                e.headers().forEach(ctx::header);
                error(ctx, e.status(), e.getMessage());
            });
            config.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), switch (e.getStatus()) {
                case 404 -> "There is no " + ctx.method() + " " + ctx.path() + ". Questions live under " + QuestionRoutes.PATH
                        + ", crawl jobs under " + CrawlRoutes.PATH + ", health under " + HealthRoutes.PATH + ".";
                case 405 -> ctx.method() + " is not allowed on " + ctx.path() + ".";
                case 413 -> "The request body is " + ctx.contentLength() + " bytes; the limit is " + api.maxBodyBytes()
                        + " bytes.";
                default -> e.getMessage();
            }));
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, "Something went wrong on our side; it has been logged. Please retry.");
            });
        });
        // What it stops after the server, in this order.
        List<AutoCloseable> parts = List.of(publisher, queued, () -> ProcessMetrics.untrack(kafkaBreaker), dashboard,
                backlog, checks, feed, fleet, mongo);
        try {
            app.start(api.host(), api.port());
        } catch (RuntimeException e) {
            storeCalls.close();
            closeAll(parts);
            throw new IllegalStateException("The ingest API cannot listen on " + api.host() + ":" + api.port()
                    + " (is the port taken? set BW_API_PORT): " + e.getMessage(), e);
        }
        log.info("Ingest API listening on http://{}:{}{}; {}", api.host(), app.port(), QuestionRoutes.PATH,
                access.describe());
        return new IngestApi(app, storeCalls, parts);
    }

    /** The port it listens on (the chosen one when started with port 0). */
    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
        storeCalls.close();
        closeAll(parts);
    }

    private static void closeAll(List<AutoCloseable> parts) {
        for (AutoCloseable part : parts) {
            try {
                part.close();
            } catch (Exception e) {
                log.warn("Stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** The wait a caller is told when the LLM is unavailable and no deployment says until when. */
    static final Duration UNKNOWN_WAIT = Duration.ofSeconds(5);

    /**
     * Whether the LLM cannot answer now, as {@code breaker.health} says: its {@code llm_service} breaker is open, and so
     * is every fallback deployment's ({@code llm_service_fallback*}) that an instance still reports.
     */
    static boolean llmOpen(FleetHealth fleet) {
        return llmOpen(fleet.breakers().values());
    }

    static boolean llmOpen(java.util.Collection<BreakerHealth> breakers) {
        return llmUnavailableFor(breakers, Instant.MIN).isPresent();
    }

    /**
     * How long the LLM cannot answer, as {@code breaker.health} says: empty while any deployment takes calls; else
     * until the first of them tries again (open or cooling), or {@link #UNKNOWN_WAIT} if none says when (forced open).
     */
    static Optional<Duration> llmUnavailableFor(java.util.Collection<BreakerHealth> breakers, Instant now) {
        boolean primaryOpen = false;
        Instant soonest = null;
        for (BreakerHealth health : breakers) {
            boolean primary = health.breaker().equals(Dependencies.LLM_SERVICE.name());
            // A fallback no instance reports any more (configured once, then removed) stays on breaker.health as
            // closed: it answers nothing.
            if (!Dependencies.isLlmDeployment(health.breaker()) || !primary && health.instances().isEmpty()) {
                continue;
            }
            if (health.state() != BreakerState.OPEN) {
                return Optional.empty();
            }
            primaryOpen |= primary;
            if (health.openUntil() != null && (soonest == null || health.openUntil().isBefore(soonest))) {
                soonest = health.openUntil();
            }
        }
        if (!primaryOpen) {
            return Optional.empty();
        }
        if (soonest == null || !soonest.isAfter(now)) {
            return Optional.of(UNKNOWN_WAIT);
        }
        return Optional.of(Duration.between(now, soonest));
    }

    /**
     * Reads and drops the body of a request refused before its body was read, up to {@code limit} bytes: a server
     * that answers and closes while the client still sends resets the connection, and the client never sees the
     * answer. Past the limit, the connection closes all the same.
     */
    private static void drain(Context ctx, int limit) {
        try {
            ctx.req().getInputStream().skipNBytes(Math.min(limit, Math.max(0, ctx.req().getContentLengthLong())));
        } catch (java.io.IOException | RuntimeException e) {
            log.debug("Cannot drain a refused request's body: {}", e.toString());
        }
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).json(new ApiError(message, status));
    }
}
