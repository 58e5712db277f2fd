package io.breakwater.core.breaker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.topic.Topic;
import io.breakwater.core.topic.TopicFollower;

/**
 * The latest {@code breaker.health} record of every breaker, kept current by following the topic: what
 * {@code /health} and {@code breakwater health} show. Nothing in it comes from this process's own breakers.
 */
public final class FleetHealth implements AutoCloseable {

    private final Map<String, BreakerHealth> latest = new ConcurrentHashMap<>();
    private final List<Consumer<BreakerHealth>> listeners = new CopyOnWriteArrayList<>();
    private final TopicFollower follower;

    private FleetHealth(KafkaSettings kafka, Topic<String, BreakerHealth> topic, String clientId) {
        this.follower = TopicFollower.start(kafka, clientId, List.of(topic.name()), this::apply);
    }

    public static FleetHealth follow(KafkaSettings kafka, Topic<String, BreakerHealth> topic, String clientId) {
        return new FleetHealth(kafka, topic, clientId);
    }

    /** Each breaker's latest health, by name. */
    public SortedMap<String, BreakerHealth> breakers() {
        return new TreeMap<>(latest);
    }

    /** Called on the following thread with every new record. */
    public void onUpdate(Consumer<BreakerHealth> listener) {
        listeners.add(listener);
    }

    /** Waits until the records on the topic at start have been read; false if that took longer than {@code timeout}. */
    public boolean awaitCaughtUp(Duration timeout) {
        return follower.awaitCaughtUp(timeout);
    }

    @Override
    public void close() {
        follower.close();
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.key() == null) {
            return;
        }
        String breaker = new String(record.key(), StandardCharsets.UTF_8);
        if (record.value() == null) {
            latest.remove(breaker);
            return;
        }
        BreakerHealth health = EventJson.decode(record.value(), BreakerHealth.class);
        latest.put(breaker, health);
        listeners.forEach(listener -> listener.accept(health));
    }
}
