package io.breakwater.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * A real single-node Kafka broker in this JVM: KRaft mode, broker and controller roles in one node,
 * built from Kafka's own server classes. Transactions and exactly-once Streams work on it.
 *
 * <p>Storage is formatted on first start; a later start on the same directory resumes with its topics,
 * offsets and transactions. Not thread-safe: start and close from one thread.
 *
 * <p>A fatal broker error halts the JVM (Kafka's own fatal handler), which is why a deployment runs
 * Kafka in its own process; in-process it serves tests and the one-command local runtime.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String HOST = "127.0.0.1";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path logDir;

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, Path logDir) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.logDir = logDir;
    }

    /**
     * Formats {@code logDir} if it is new, then starts the broker.
     *
     * @param logDir where the broker keeps its logs and metadata; created if missing
     * @param port the client port, or 0 for any free port
     * @param overrides broker properties that replace the single-node defaults
     * @throws IllegalStateException if the port is taken or the broker fails to start
     */
    public static EmbeddedKafkaBroker start(Path logDir, int port, Map<String, String> overrides) {
        int clientPort = port == 0 ? FreePort.find() : port;
        // The controller's port must be known before start: the quorum's voter list names it.
        int controllerPort = FreePort.find();
        Properties props = singleNodeProperties(logDir, clientPort, controllerPort);
        props.putAll(overrides);
        KafkaConfig config = new KafkaConfig(props, false);
        formatIfNew(logDir, config, Uuid.randomUuid().toString(), CONTROLLER_LISTENER);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        long started = System.nanoTime();
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            throw new IllegalStateException("Kafka broker failed to start on " + HOST + ":" + clientPort
                    + " (is the port taken?): " + e.getMessage(), e);
        }
        String bootstrap = HOST + ":" + clientPort;
        log.info("Kafka broker (KRaft) up at {} in {} ms, data in {}", bootstrap,
                (System.nanoTime() - started) / 1_000_000, logDir);
        return new EmbeddedKafkaBroker(server, bootstrap, logDir);
    }

    /** Starts a broker on a free port with default settings. */
    public static EmbeddedKafkaBroker start(Path logDir) {
        return start(logDir, 0, Map.of());
    }

    /** The {@code bootstrap.servers} value for clients of this broker. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path logDir() {
        return logDir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        log.info("Kafka broker at {} stopped", bootstrapServers);
    }

    private static Properties singleNodeProperties(Path logDir, int clientPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort + "," + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toAbsolutePath().toString());
        // One node: every internal topic has one replica and needs only itself in sync.
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // Fewer internal partitions than the default 50: they are created at first use, on the caller's clock.
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.num.partitions", "5");
        // After a kill -9 the node's old registration stays until its session times out, and the restarted broker
        // waits for that before it serves (the default 9 s, more under load): one node needs no long grace.
        p.put("broker.session.timeout.ms", "2000");
        p.put("broker.heartbeat.interval.ms", "500");
        // A lone consumer need not wait for peers that will never join.
        p.put("group.initial.rebalance.delay.ms", "0");
        // The cleaner's default 128 MB dedupe buffer is most of an idle broker's heap.
        p.put("log.cleaner.dedupe.buffer.size", "4194304");
        // Topics come from the catalogue; a typo must fail, not create a stray topic.
        p.put("auto.create.topics.enable", "false");
        return p;
    }

    /**
     * Formats a node's storage for KRaft unless it was formatted before (a restart keeps its data): what
     * {@code kafka-storage.sh format} does, for a node of cluster {@code clusterId}.
     */
    public static void formatIfNew(Path logDir, KafkaConfig config, String clusterId, String controllerListener) {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8)) {
            Files.createDirectories(logDir);
            new Formatter()
                    .setPrintStream(quiet)
                    .setClusterId(clusterId)
                    .setNodeId(config.nodeId())
                    .setControllerListenerName(controllerListener)
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setDirectories(List.of(logDir.toAbsolutePath().toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create Kafka log directory " + logDir, e);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format Kafka storage in " + logDir + ": " + e.getMessage(), e);
        }
    }
}
