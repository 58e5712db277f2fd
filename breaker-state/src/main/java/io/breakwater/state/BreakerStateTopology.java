package io.breakwater.state;

import java.time.Duration;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

import io.breakwater.core.topic.Topics;

/**
 * The breaker-state app's topology: {@code breaker.events} and {@code breaker.control} (both keyed by breaker name,
 * co-partitioned) into one processor that keeps a fold per breaker in a changelogged store, out to
 * {@code breaker.health} and, for unreadable records, {@code breaker.events.dlq}.
 */
final class BreakerStateTopology {

    static final String STORE = "breaker-folds";
    static final String HEALTH_SINK = "health";
    static final String DEAD_LETTER_SINK = "dead-letters";

    private BreakerStateTopology() {
    }

    /**
     * @param expiry how long an instance may stay silent before it is dropped
     * @param expiryCheck how often silent instances are looked for
     */
    static Topology build(Topics topics, Duration expiry, Duration expiryCheck) {
        String control = topics.breakerControl().name();
        Topology topology = new Topology();
        topology.addSource("events", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(),
                topics.breakerEvents().name());
        topology.addSource("control", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), control);
        topology.addProcessor("fold", () -> new HealthFolder(control, expiry, expiryCheck), "events", "control");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                Serdes.ByteArray()), "fold");
        topology.addSink(HEALTH_SINK, topics.breakerHealth().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), "fold");
        topology.addSink(DEAD_LETTER_SINK, topics.breakerEventsDeadLetter().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), "fold");
        return topology;
    }
}
