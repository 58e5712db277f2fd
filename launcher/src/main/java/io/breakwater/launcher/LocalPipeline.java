package io.breakwater.launcher;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.embedded.EmbeddedKafkaBroker;
import io.breakwater.embedded.EmbeddedMongo;
import io.breakwater.ingest.IngestApi;
import io.breakwater.crawler.CrawlerWorker;
import io.breakwater.qa.QaWorker;
import io.breakwater.state.BreakerStateApp;

/**
 * The whole pipeline in one process: an embedded Kafka broker and MongoDB wire server unless
 * {@code BW_KAFKA_BOOTSTRAP} / {@code BW_MONGO_URI} point elsewhere, then the ingest API and the QA worker.
 * Closing stops them in reverse order. Not thread-safe: start and close from one thread.
 */
final class LocalPipeline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalPipeline.class);

    private final Deque<AutoCloseable> started;
    private final String kafka;
    private final String mongo;
    private final IngestApi api;
    private final QaWorker worker;
    private final EmbeddedSettings embedded;

    private LocalPipeline(Deque<AutoCloseable> started, String kafka, String mongo, IngestApi api, QaWorker worker,
                          EmbeddedSettings embedded) {
        this.started = started;
        this.kafka = kafka;
        this.mongo = mongo;
        this.api = api;
        this.worker = worker;
        this.embedded = embedded;
    }

    /**
     * @param onFailure called if a service stops on an error it cannot recover from
     * @throws RuntimeException if any part fails to start; the parts already started are stopped again
     */
    static LocalPipeline start(Settings settings, Consumer<Throwable> onFailure) {
        EmbeddedSettings embedded = EmbeddedSettings.from(settings);
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            Settings wired = settings;
            if (!settings.isSet(KafkaSettings.BOOTSTRAP)) {
                EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(embedded.kafkaDir(), embedded.kafkaPort(), Map.of());
                started.push(broker);
                wired = wired.with(KafkaSettings.BOOTSTRAP, broker.bootstrapServers());
            }
            if (!settings.isSet(MongoSettings.URI)) {
                EmbeddedMongo mongo = EmbeddedMongo.persistent(embedded.mongoFile(), embedded.mongoPort());
                started.push(mongo);
                wired = wired.with(MongoSettings.URI, mongo.connectionString());
            }
            if (!settings.isSet("state.dir")) {
                wired = wired.with("state.dir", embedded.dataDir().resolve("breaker-state").toString());
            }
            // Breaker health first, so the worker starts from the fleet's view and /health has it from the start.
            BreakerStateApp breakerState = BreakerStateApp.start(wired, Duration.ofSeconds(60), onFailure);
            started.push(breakerState);
            QaWorker worker = QaWorker.start(wired, onFailure);
            started.push(worker);
            started.push(CrawlerWorker.start(wired, onFailure));
            IngestApi api = IngestApi.start(wired);
            started.push(api);
            return new LocalPipeline(started, KafkaSettings.from(wired).bootstrapServers(),
                    MongoSettings.from(wired).uri(), api, worker, embedded);
        } catch (RuntimeException e) {
            closeAll(started);
            throw e;
        }
    }

    String kafkaBootstrap() {
        return kafka;
    }

    int apiPort() {
        return api.port();
    }

    /** Where everything is, for people. */
    String describe(Settings settings) {
        String kafkaWhere = settings.isSet(KafkaSettings.BOOTSTRAP) ? "(external)"
                : "(embedded KRaft broker, data in " + embedded.kafkaDir() + ")";
        String mongoWhere = settings.isSet(MongoSettings.URI) ? "(external)"
                : "(embedded, data in " + embedded.mongoFile().getParent() + ")";
        String api = "http://localhost:" + apiPort();
        return String.join(System.lineSeparator(),
                "Breakwater is up.",
                "  Kafka      " + kafka + "  " + kafkaWhere,
                "  MongoDB    " + redact(mongo) + "  " + mongoWhere,
                "  Ingest API " + api + "/api/v1/questions   " + api + "/api/v1/crawl",
                "  QA worker  answering with " + worker.answererDescription(),
                "  Health     " + api + "/health   (or ./breakwater health --watch)",
                "Ask a question:",
                "  curl -X POST " + api + "/api/v1/questions -H 'Content-Type: application/json' -d '{\"question\":\"What is a circuit breaker?\"}'",
                "  curl " + api + "/api/v1/questions/<id>",
                "Crawl a page (set BW_CRAWLER_ALLOWED_HOSTS to crawl a local or private address):",
                "  curl -X POST " + api + "/api/v1/crawl -H 'Content-Type: application/json' -d '{\"urls\":[\"https://example.com/\"]}'",
                "Stop with Ctrl-C.");
    }

    @Override
    public void close() {
        closeAll(started);
    }

    private static void closeAll(Deque<AutoCloseable> started) {
        while (!started.isEmpty()) {
            AutoCloseable part = started.pop();
            try {
                part.close();
            } catch (Exception e) {
                log.warn("Stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** A connection string without its password. */
    private static String redact(String uri) {
        return uri.replaceFirst("://([^:/@]+):[^@]*@", "://$1:***@");
    }
}
