package io.breakwater.core.topic;

import java.util.Objects;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic's name paired with its key and value serdes and how it is created. Immutable.
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, TopicSpec spec) {

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
        Objects.requireNonNull(spec, "spec");
    }

    /** A record for this topic, serialized with its serdes: for loops that produce bytes. */
    public ProducerRecord<byte[], byte[]> serialized(K key, V value) {
        return new ProducerRecord<>(name, keySerde.serializer().serialize(name, key),
                valueSerde.serializer().serialize(name, value));
    }
}
