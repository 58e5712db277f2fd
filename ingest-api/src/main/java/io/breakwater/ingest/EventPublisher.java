package io.breakwater.ingest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;

/**
 * Publishes accepted work (questions, crawl jobs) to its topic, completing once every in-sync replica has the
 * record: only then may the API answer 202. One producer for every topic. Thread-safe.
 */
final class EventPublisher implements AutoCloseable {

    /** Kafka, for the API: opens after 3 failed sends or a failed health probe, and tries again after 10 s. */
    static final BreakerSettings KAFKA = new BreakerSettings("kafka", 3, 1, Duration.ofSeconds(10),
            Duration.ofSeconds(5), 0, Duration.ofMillis(500), Duration.ofSeconds(1));

    private final KafkaProducer<byte[], byte[]> producer;
    private final BreakerPolicy breaker;

    /** @param breaker guards the sends: while it is open, a publish fails at once */
    EventPublisher(KafkaSettings kafka, BreakerPolicy breaker) {
        this.breaker = breaker;
        Map<String, Object> props = KafkaClients.producer(kafka, "breakwater-ingest-api");
        // A client waits on the POST: fail it within seconds, not after the producer's default minute. The breaker
        // makes the next ones fail at once.
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Completes when Kafka acknowledged {@code value}, or exceptionally when it could not take it. */
    <V> CompletableFuture<RecordMetadata> publish(Topic<String, V> topic, String key, V value) {
        BreakerPolicy.Attempt attempt;
        try {
            attempt = breaker.attempt();
        } catch (BreakerOpenException e) {
            return CompletableFuture.failedFuture(new KafkaException("Kafka did not answer just now (" + e.getMessage()
                    + ")"));
        }
        CompletableFuture<RecordMetadata> acknowledged = new CompletableFuture<>();
        try {
            producer.send(topic.serialized(key, value), (metadata, error) -> {
                if (error == null) {
                    attempt.succeeded();
                    acknowledged.complete(metadata);
                } else {
                    attempt.failed();
                    acknowledged.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            attempt.failed();
            acknowledged.completeExceptionally(e);
        }
        return acknowledged;
    }

    @Override
    public void close() {
        producer.close();
    }
}
