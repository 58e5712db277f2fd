package io.breakwater.ingest;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;

/**
 * Publishes accepted work (questions, crawl jobs) to its topic, completing once every in-sync replica has the
 * record: only then may the API answer 202. One producer for every topic. Thread-safe.
 */
final class EventPublisher implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;

    EventPublisher(KafkaSettings kafka) {
        Map<String, Object> props = KafkaClients.producer(kafka, "breakwater-ingest-api");
        // A client waits on the POST: fail it within seconds, not after the producer's default minute.
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Completes when Kafka acknowledged {@code value}, or exceptionally when it could not take it. */
    <V> CompletableFuture<RecordMetadata> publish(Topic<String, V> topic, String key, V value) {
        CompletableFuture<RecordMetadata> acknowledged = new CompletableFuture<>();
        try {
            producer.send(topic.serialized(key, value), (metadata, error) -> {
                if (error == null) {
                    acknowledged.complete(metadata);
                } else {
                    acknowledged.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            acknowledged.completeExceptionally(e);
        }
        return acknowledged;
    }

    @Override
    public void close() {
        producer.close();
    }
}
