package io.breakwater.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;
import io.breakwater.embedded.EmbeddedKafkaBroker;
import io.breakwater.embedded.EmbeddedMongo;
import io.breakwater.qa.QaWorker;

/**
 * One embedded broker and MongoDB wire server for a whole benchmark run, so that every figure and its baseline are
 * measured on the same broker. Each measurement gets a run of its own: its own topic prefix, groups and database.
 */
final class BenchCluster implements AutoCloseable {

    private static final int PUBLISH_ATTEMPTS = 4;

    private final Path dir;
    private final EmbeddedKafkaBroker broker;
    private final EmbeddedMongo mongo;

    private BenchCluster(Path dir, EmbeddedKafkaBroker broker, EmbeddedMongo mongo) {
        this.dir = dir;
        this.broker = broker;
        this.mongo = mongo;
    }

    static BenchCluster start() throws IOException {
        Path dir = Files.createTempDirectory("breakwater-bench");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of());
        return new BenchCluster(dir, broker, EmbeddedMongo.inMemory());
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    String mongoUri() {
        return mongo.connectionString();
    }

    Path dir() {
        return dir;
    }

    /** Settings for a fresh run named {@code name}: prefixed topics, own groups and database; {@code extra} on top. */
    Settings run(String name, Map<String, String> extra) {
        String run = name + "-" + UUID.randomUUID().toString().substring(0, 6);
        Map<String, String> values = new HashMap<>(Map.of(
                "kafka.bootstrap", bootstrapServers(),
                "mongo.uri", mongoUri(),
                "mongo.database", run.replace('.', '_'),
                "topic.prefix", run + ".",
                "qa.group", run + "-qa",
                "crawler.group", run + "-crawler",
                "instance.id", run,
                "state.dir", dir.resolve(run).toString(),
                "api.host", "127.0.0.1",
                "api.port", "0"));
        values.putAll(extra);
        Settings settings = Settings.of(values);
        try (Admin admin = KafkaClients.createAdmin(KafkaSettings.from(settings), "bench-admin")) {
            // Returns once the new topics have leaders: a measurement must not time the election.
            TopicAdmin.ensure(admin, Topics.from(settings).all());
        }
        return settings;
    }

    /**
     * Publishes {@code count} questions ({@code <prefix>-<i>}) as fast as the producer can, and waits for them. What
     * is not acknowledged within 30 s is sent again by a fresh producer, up to {@value #PUBLISH_ATTEMPTS} times: on a
     * loaded machine a new topic's partition can stay without a leader for a while (the broker, briefly fenced,
     * rejoins), and a measurement should not be lost to that.
     *
     * @throws IllegalStateException if some were never acknowledged: a measurement would wait for them forever
     */
    void publishQuestions(Settings settings, String prefix, int count) {
        String topic = Topics.from(settings).questions().name();
        List<ProducerRecord<byte[], byte[]>> pending = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            pending.add(question(topic, prefix + "-" + i));
        }
        Exception last = null;
        for (int attempt = 1; attempt <= PUBLISH_ATTEMPTS && !pending.isEmpty(); attempt++) {
            List<ProducerRecord<byte[], byte[]>> unacknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
            try (KafkaProducer<byte[], byte[]> producer = fastProducer(Map.of(
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000))) {
                for (ProducerRecord<byte[], byte[]> record : pending) {
                    producer.send(record, (metadata, error) -> {
                        if (error != null) {
                            failed.compareAndSet(null, error);
                            unacknowledged.add(record);
                        }
                    });
                }
                producer.flush();
            }
            if (failed.get() != null) {
                last = failed.get();
                System.err.printf("bench: %d of %d questions not acknowledged (attempt %d): %s%n",
                        unacknowledged.size(), pending.size(), attempt, last);
            }
            pending = new ArrayList<>(unacknowledged);
        }
        if (!pending.isEmpty()) {
            throw new IllegalStateException("could not publish " + pending.size() + " of " + count
                    + " questions to measure after " + PUBLISH_ATTEMPTS + " attempts: " + last, last);
        }
    }

    /**
     * A fresh run named {@code name} ({@code extra} on top of its settings): {@code count} questions published before
     * a QA worker starts, and how many answers a second it gives, counted from its first answer to its last.
     */
    double answeringRate(String name, Map<String, String> extra, int count, Duration patience) throws Exception {
        Settings settings = run(name, extra);
        publishQuestions(settings, name, count);
        try (OutputWatcher answers = OutputWatcher.start(bootstrapServers(), Topics.from(settings).answers().name());
             QaWorker worker = QaWorker.start(settings, error -> { })) {
            answers.await(count, patience);
            return answers.ratePerSecond();
        }
    }

    /** A producer that batches hard: for filling topics before a measurement. */
    KafkaProducer<byte[], byte[]> fastProducer() {
        return fastProducer(Map.of());
    }

    private KafkaProducer<byte[], byte[]> fastProducer(Map<String, Object> extra) {
        Map<String, Object> props = KafkaClients.producer(new KafkaSettings(bootstrapServers(), Map.of()), "bench-filler");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.putAll(extra);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static ProducerRecord<byte[], byte[]> question(String topic, String id) {
        return new ProducerRecord<>(topic, id.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                ("{\"id\":\"" + id + "\",\"question\":\"How long is breakwater " + id + "?\"}")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Sets an operator's override on a breaker for every instance of the run, as {@code breakwater breaker} does. */
    void override(Settings settings, String breaker, BreakerOverride.Mode mode) {
        BreakerOverride override = new BreakerOverride(BreakerOverride.SCHEMA_VERSION, breaker, mode, "bench",
                Instant.now(), "benchmark");
        try (KafkaProducer<byte[], byte[]> producer = fastProducer()) {
            producer.send(new ProducerRecord<>(Topics.from(settings).breakerControl().name(),
                    breaker.getBytes(java.nio.charset.StandardCharsets.UTF_8), EventJson.encode(override)))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish the override: " + e, e);
        }
    }

    @Override
    public void close() {
        mongo.close();
        broker.close();
        deleteQuietly(dir);
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(paths.toList());
            all.sort((a, b) -> b.getNameCount() - a.getNameCount());
            for (Path path : all) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // a temp directory; the OS cleans it eventually
        }
    }
}
