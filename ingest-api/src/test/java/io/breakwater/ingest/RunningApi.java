package io.breakwater.ingest;

import java.net.URI;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topics;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.FreezableProxy;
import io.breakwater.testkit.Running;
import io.breakwater.testkit.TopicProbe;

/**
 * One ingest API for a test class, on the JVM's shared embedded servers, in a run of its own: its own MongoDB
 * database and topic prefix ({@code <class>-<8 hex>}), on 127.0.0.1 and a free port. Started before the class's
 * first test, closed after its last. Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RunningApi api = RunningApi.with(Map.of("api.keys", "k1,k2"));
 * }</pre>
 *
 * The settings given override the run's. Not for parallel test classes sharing one instance.
 */
final class RunningApi implements BeforeAllCallback, AfterAllCallback {

    private final Map<String, String> more;
    private final boolean mongoBehindProxy;
    private final Running running = new Running();
    private EmbeddedServers servers;
    private FreezableProxy mongoProxy;
    private Settings settings;
    private Topics topics;
    private TopicProbe probe;
    private IngestApi api;
    private QuestionStore store;

    private RunningApi(Map<String, String> more, boolean mongoBehindProxy) {
        this.more = Map.copyOf(more);
        this.mongoBehindProxy = mongoBehindProxy;
    }

    /** The API with the run's settings plus {@code more}. */
    static RunningApi with(Map<String, String> more) {
        return new RunningApi(more, false);
    }

    /** The API with the run's settings only. */
    static RunningApi withDefaults() {
        return with(Map.of());
    }

    /** The same API, reaching MongoDB through a proxy the test can freeze ({@link #mongoProxy()}). */
    RunningApi mongoBehindProxy() {
        return new RunningApi(more, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        servers = EmbeddedServersExtension.shared(context);
        String run = context.getRequiredTestClass().getSimpleName().replaceFirst("IT$", "").toLowerCase(Locale.ROOT)
                + "-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> values = new HashMap<>(Map.of(
                "kafka.bootstrap", servers.bootstrapServers(),
                "mongo.uri", servers.mongoUri(),
                "mongo.database", run,
                "topic.prefix", run + ".",
                "api.host", "127.0.0.1",
                "api.port", "0"));
        if (mongoBehindProxy) {
            URI mongo = URI.create(servers.mongoUri());
            mongoProxy = running.add(FreezableProxy.to(mongo.getHost(), mongo.getPort()));
            values.put("mongo.uri", "mongodb://127.0.0.1:" + mongoProxy.port());
        }
        values.putAll(more);
        settings = Settings.of(values);
        topics = Topics.from(settings);
        probe = new TopicProbe(servers.bootstrapServers());
        api = running.add(IngestApi.start(settings));
        if (mongoBehindProxy) {
            // Closed in reverse: thawed before the API closes, should a test have failed with MongoDB frozen.
            AutoCloseable thaw = mongoProxy::thaw;
            running.add(thaw);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        running.close();
    }

    IngestApi api() {
        return api;
    }

    int port() {
        return api.port();
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash. */
    String base() {
        return "http://127.0.0.1:" + api.port();
    }

    Settings settings() {
        return settings;
    }

    Topics topics() {
        return topics;
    }

    TopicProbe probe() {
        return probe;
    }

    EmbeddedServers servers() {
        return servers;
    }

    /** The MongoDB proxy the API reaches the store through; only with {@link #mongoBehindProxy()}. */
    FreezableProxy mongoProxy() {
        if (mongoProxy == null) {
            throw new IllegalStateException("MongoDB is not behind a proxy: register RunningApi...mongoBehindProxy()");
        }
        return mongoProxy;
    }

    /** The run's question store, as a worker would write to it: connected directly, on first use. */
    synchronized QuestionStore store() {
        if (store == null) {
            String database = settings.string("mongo.database", "");
            MongoClient mongo = running.add(MongoConnections.open(new MongoSettings(servers.mongoUri(), database)));
            store = new QuestionStore(mongo.getDatabase(database));
        }
        return store;
    }
}
