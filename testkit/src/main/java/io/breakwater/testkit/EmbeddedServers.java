package io.breakwater.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import io.breakwater.embedded.EmbeddedKafkaBroker;
import io.breakwater.embedded.EmbeddedMongo;

/**
 * One real Kafka broker and one MongoDB wire server for a test JVM, on free ports, in a temporary directory.
 * Tests keep apart by their own topic prefix, consumer group and database name, not by servers of their own:
 * start-up dominates test time.
 */
public final class EmbeddedServers implements AutoCloseable {

    private final Path dir;
    private final EmbeddedKafkaBroker kafka;
    private final EmbeddedMongo mongo;

    private EmbeddedServers(Path dir, EmbeddedKafkaBroker kafka, EmbeddedMongo mongo) {
        this.dir = dir;
        this.kafka = kafka;
        this.mongo = mongo;
    }

    static EmbeddedServers start() {
        try {
            Path dir = Files.createTempDirectory("breakwater-test-");
            EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of());
            return new EmbeddedServers(dir, kafka, EmbeddedMongo.inMemory());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public EmbeddedKafkaBroker kafka() {
        return kafka;
    }

    public EmbeddedMongo mongo() {
        return mongo;
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String mongoUri() {
        return mongo.connectionString();
    }

    @Override
    public void close() throws IOException {
        mongo.close();
        kafka.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
