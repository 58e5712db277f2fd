package io.breakwater.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.embedded.EmbeddedKafkaBroker;
import io.breakwater.embedded.FreePort;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * A real multi-broker Kafka cluster in this JVM, for fault-injection tests: one dedicated KRaft controller (node 0,
 * never killed, so the quorum stays) and {@code n} brokers (nodes 1..n) whose internal topics have {@code n} replicas
 * and need {@code min(2, n)} in sync, as do topics created without explicit settings.
 *
 * <p>Each broker has three listeners: {@code INTERNAL} for replication, {@code CLIENT} advertised at the port of a
 * {@link FreezableProxy} in front of it (so the services' connections can be frozen while replication and the
 * controller are not), and {@code DIRECT}, advertised as itself, for the test's own observers. A broker can be
 * {@linkplain #kill killed} (shut down without controlled shutdown: the controller learns of it only when its
 * heartbeats stop, as with a crash) and {@linkplain #restart restarted} on the same data directory and ports.
 *
 * <p>Not thread-safe: start, kill, restart and close from one thread.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);
    private static final String HOST = "127.0.0.1";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final int CONTROLLER_ID = 0;

    private final Path dir;
    private final String clusterId = Uuid.randomUuid().toString();
    private final int controllerPort = FreePort.find();
    private final Map<String, String> overrides;
    private final List<Node> brokers = new ArrayList<>();
    private KafkaRaftServer controller;

    private EmbeddedKafkaCluster(Path dir, Map<String, String> overrides) {
        this.dir = dir;
        this.overrides = Map.copyOf(overrides);
    }

    /** One broker: its ports, the proxy in front of its client listener, and its server while it runs. */
    private static final class Node {
        final int id;
        final int internalPort = FreePort.find();
        final int clientPort = FreePort.find();
        final int directPort = FreePort.find();
        final FreezableProxy proxy;
        KafkaRaftServer server;

        Node(int id) {
            this.id = id;
            this.proxy = FreezableProxy.to(HOST, clientPort);
        }
    }

    /**
     * Formats and starts a controller and {@code brokers} brokers under {@code dir}; returns once every broker runs.
     *
     * @param overrides broker properties that replace the defaults (for every broker, not the controller)
     * @throws IllegalStateException if a server fails to start
     */
    public static EmbeddedKafkaCluster start(Path dir, int brokers, Map<String, String> overrides) {
        if (brokers < 1) {
            throw new IllegalArgumentException("a cluster needs at least one broker but was " + brokers);
        }
        EmbeddedKafkaCluster cluster = new EmbeddedKafkaCluster(dir, overrides);
        long started = System.nanoTime();
        for (int id = 1; id <= brokers; id++) {
            cluster.brokers.add(new Node(id));
        }
        cluster.controller = cluster.startServer(cluster.controllerProperties(), dir.resolve("controller"));
        // In parallel: a broker's start waits for the controller to register it, most of its cold start.
        CompletableFuture.allOf(cluster.brokers.stream()
                .map(node -> CompletableFuture.runAsync(() -> cluster.startBroker(node)))
                .toArray(CompletableFuture[]::new)).join();
        log.info("Kafka cluster of {} brokers up in {} ms: clients {}, direct {}", brokers,
                (System.nanoTime() - started) / 1_000_000, cluster.clientBootstrapServers(), cluster.bootstrapServers());
        return cluster;
    }

    /** {@code bootstrap.servers} for the test's own clients: straight to the brokers, never frozen. */
    public String bootstrapServers() {
        return brokers.stream().map(node -> HOST + ":" + node.directPort).collect(Collectors.joining(","));
    }

    /** {@code bootstrap.servers} for the services under test: through each broker's {@link FreezableProxy}. */
    public String clientBootstrapServers() {
        return brokers.stream().map(node -> HOST + ":" + node.proxy.port()).collect(Collectors.joining(","));
    }

    public int size() {
        return brokers.size();
    }

    /** The proxy in front of broker {@code id} (1..n). */
    public FreezableProxy proxy(int id) {
        return node(id).proxy;
    }

    /** Freezes the client connections of every broker (replication and the controller go on). */
    public void freezeClients() {
        brokers.forEach(node -> node.proxy.freeze());
    }

    public void thawClients() {
        brokers.forEach(node -> node.proxy.thaw());
    }

    public boolean isRunning(int id) {
        return node(id).server != null;
    }

    /**
     * Stops broker {@code id} without controlled shutdown: its partitions' leadership moves only when the controller
     * notices it has gone, and its clients' connections drop. Its data stays for {@link #restart}.
     */
    public void kill(int id) {
        Node node = node(id);
        if (node.server == null) {
            return;
        }
        long from = System.nanoTime();
        node.server.shutdown();
        node.server.awaitShutdown();
        node.server = null;
        log.info("Kafka broker {} killed in {} ms", id, (System.nanoTime() - from) / 1_000_000);
    }

    /** Starts broker {@code id} again on its data directory and ports. */
    public void restart(int id) {
        Node node = node(id);
        if (node.server == null) {
            startBroker(node);
        }
    }

    @Override
    public void close() {
        brokers.forEach(node -> {
            node.proxy.close();
            kill(node.id);
        });
        if (controller != null) {
            controller.shutdown();
            controller.awaitShutdown();
            controller = null;
        }
    }

    private Node node(int id) {
        if (id < 1 || id > brokers.size()) {
            throw new IllegalArgumentException("broker id must be from 1 to " + brokers.size() + " but was " + id);
        }
        return brokers.get(id - 1);
    }

    private void startBroker(Node node) {
        Properties props = brokerProperties(node);
        props.putAll(overrides);
        long from = System.nanoTime();
        node.server = startServer(props, dir.resolve("broker-" + node.id));
        log.info("Kafka broker {} up in {} ms", node.id, (System.nanoTime() - from) / 1_000_000);
    }

    private KafkaRaftServer startServer(Properties props, Path logDir) {
        props.put("log.dirs", logDir.toAbsolutePath().toString());
        KafkaConfig config = new KafkaConfig(props, false);
        EmbeddedKafkaBroker.formatIfNew(logDir, config, clusterId, CONTROLLER_LISTENER);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            throw new IllegalStateException("Kafka node " + config.nodeId() + " failed to start: " + e.getMessage(), e);
        }
        return server;
    }

    private Properties controllerProperties() {
        Properties p = common();
        p.put("process.roles", "controller");
        p.put("node.id", String.valueOf(CONTROLLER_ID));
        p.put("listeners", CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("listener.security.protocol.map", CONTROLLER_LISTENER + ":PLAINTEXT");
        // The controller creates topics: their default replication comes from here (Kafka 5 ignores it on brokers).
        p.put("default.replication.factor", Integer.toString(brokers.size()));
        p.put("min.insync.replicas", Integer.toString(Math.min(2, brokers.size())));
        return p;
    }

    private Properties brokerProperties(Node node) {
        Properties p = common();
        int replicas = brokers.size();
        String minInSync = Integer.toString(Math.min(2, replicas));
        p.put("process.roles", "broker");
        p.put("node.id", String.valueOf(node.id));
        p.put("listeners", "INTERNAL://" + HOST + ":" + node.internalPort + ",CLIENT://" + HOST + ":" + node.clientPort
                + ",DIRECT://" + HOST + ":" + node.directPort);
        p.put("advertised.listeners", "INTERNAL://" + HOST + ":" + node.internalPort + ",CLIENT://" + HOST + ":"
                + node.proxy.port() + ",DIRECT://" + HOST + ":" + node.directPort);
        p.put("listener.security.protocol.map", "INTERNAL:PLAINTEXT,CLIENT:PLAINTEXT,DIRECT:PLAINTEXT,"
                + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", "INTERNAL");
        p.put("offsets.topic.replication.factor", Integer.toString(replicas));
        p.put("transaction.state.log.replication.factor", Integer.toString(replicas));
        p.put("transaction.state.log.min.isr", minInSync);
        p.put("share.coordinator.state.topic.replication.factor", Integer.toString(replicas));
        p.put("share.coordinator.state.topic.min.isr", minInSync);
        p.put("default.replication.factor", Integer.toString(replicas));
        p.put("min.insync.replicas", minInSync);
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.cleaner.dedupe.buffer.size", "4194304");
        p.put("auto.create.topics.enable", "false");
        // A kill is a crash, not a goodbye: no controlled shutdown moving leaders away first. The controller fences
        // the broker when its heartbeats stop, after the session timeout, short here so a test sees failover soon.
        p.put("controlled.shutdown.enable", "false");
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "3000");
        // A restarted broker rejoins the ISR once caught up; one that stopped fetching leaves it after this long.
        p.put("replica.lag.time.max.ms", "5000");
        return p;
    }

    private Properties common() {
        Properties p = new Properties();
        p.put("controller.quorum.voters", CONTROLLER_ID + "@" + HOST + ":" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        return p;
    }

    /** The ids of the brokers, 1..n. */
    public List<Integer> brokerIds() {
        return IntStream.rangeClosed(1, brokers.size()).boxed().toList();
    }
}
