package io.breakwater.state;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.ConsumerLagReporter;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;

/**
 * The breaker-state app: a Kafka Streams app ({@code exactly_once_v2}) that folds every instance's breaker events
 * and every operator's override into one compacted {@code breaker.health} record per breaker. Run as many as you
 * like: they share the work by partition. Start with {@link #start}, stop with {@link #close}.
 */
public final class BreakerStateApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BreakerStateApp.class);

    private final KafkaStreams streams;
    private final String description;

    private BreakerStateApp(KafkaStreams streams, String description) {
        this.streams = streams;
        this.description = description;
    }

    /**
     * Creates missing topics and starts the app; returns once it is running (or after {@code ready} at most).
     *
     * @param onFailure called if the app stops on an error it cannot recover from
     */
    public static BreakerStateApp start(Settings settings, Duration ready, Consumer<Throwable> onFailure) {
        KafkaSettings kafka = KafkaSettings.from(settings);
        Topics topics = Topics.from(settings);
        BreakerStateSettings state = BreakerStateSettings.from(settings);
        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-breaker-state-admin")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        Properties props = new Properties();
        props.putAll(kafka.clientProperties());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, state.applicationId());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Health must show a transition fast: commit (and so make visible) every 100 ms.
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.stateDir().toString());
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) topics.breakerHealth().spec().replicationFactor());
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        // After a crash, a restarted instance (same id) gets its tasks back at once; one that does not come back
        // hands them over after 10 s instead of the default 45.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                state.applicationId() + "-" + settings.instanceId());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        ConsumerLagReporter.install(props);
        KafkaStreams streams = new KafkaStreams(BreakerStateTopology.build(topics, state.instanceExpiry(),
                state.expiryCheck()), props);
        CountDownLatch running = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(error -> {
            log.error("Breaker-state app stopped: {}", error.toString(), error);
            onFailure.accept(error);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        try {
            if (!running.await(ready.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Breaker-state app not running after {} s; it keeps trying", ready.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String description = "folding " + topics.breakerEvents().name() + " into " + topics.breakerHealth().name()
                + " as " + state.applicationId() + " (instances dropped after " + state.instanceExpiry().toSeconds()
                + " s of silence)";
        log.info("Breaker-state app {}", description);
        return new BreakerStateApp(streams, description);
    }

    public String description() {
        return description;
    }

    public boolean isRunning() {
        KafkaStreams.State state = streams.state();
        return state.isRunningOrRebalancing() || state == KafkaStreams.State.CREATED;
    }

    @Override
    public void close() {
        // Leave the group, so that a restarted or remaining instance takes the work over at once, not after the
        // session timeout (Kafka Streams stays in the group on close unless told otherwise).
        streams.close(CloseOptions.timeout(Duration.ofSeconds(10))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
}
