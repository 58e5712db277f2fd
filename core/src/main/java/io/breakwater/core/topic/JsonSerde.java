package io.breakwater.core.topic;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import io.breakwater.core.event.EventJson;

/**
 * An event's JSON form as a Kafka serde. Deserializing bad bytes throws
 * {@link io.breakwater.core.event.MalformedEventException}: consumers that must survive poison input read bytes and
 * decode them themselves.
 */
public final class JsonSerde<T> implements Serde<T> {

    private final Class<T> type;

    public JsonSerde(Class<T> type) {
        this.type = type;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : EventJson.encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : EventJson.decode(bytes, type);
    }
}
