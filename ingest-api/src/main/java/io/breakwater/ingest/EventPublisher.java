package io.breakwater.ingest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;

/**
 * Publishes accepted work (questions, crawl jobs) to its topic, completing once every in-sync replica has the
 * record: only then may the API answer 202. One producer for every topic. Thread-safe.
 */
final class EventPublisher implements AutoCloseable {

    private final Producer<byte[], byte[]> producer;
    private final BreakerPolicy breaker;
    private final Duration maxPublishTime;

    /** @param breaker guards the sends: while it is open, a publish fails at once */
    EventPublisher(KafkaSettings kafka, BreakerPolicy breaker) {
        this(producer(kafka), breaker, maxPublishTime(producerProps(kafka)));
    }

    /** For tests: publishes with {@code producer}. */
    EventPublisher(Producer<byte[], byte[]> producer, BreakerPolicy breaker, Duration maxPublishTime) {
        this.producer = producer;
        this.breaker = breaker;
        this.maxPublishTime = maxPublishTime;
    }

    private static Map<String, Object> producerProps(KafkaSettings kafka) {
        Map<String, Object> props = KafkaClients.producer(kafka, "breakwater-ingest-api");
        // A client waits on the POST: fail it within seconds, not after the producer's default minute. The breaker
        // makes the next ones fail at once.
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000);
        return props;
    }

    private static KafkaProducer<byte[], byte[]> producer(KafkaSettings kafka) {
        return new KafkaProducer<>(producerProps(kafka), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Duration maxPublishTime(Map<String, Object> props) {
        return Duration.ofMillis(Long.parseLong(props.get(ProducerConfig.MAX_BLOCK_MS_CONFIG).toString())
                + Long.parseLong(props.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG).toString()));
    }

    /**
     * Completes when Kafka acknowledged {@code value}, or exceptionally with a {@link NotAcknowledgedException} that
     * says whether the record may be on the topic all the same.
     */
    <V> CompletableFuture<RecordMetadata> publish(Topic<String, V> topic, String key, V value) {
        BreakerPolicy.Attempt attempt;
        try {
            attempt = breaker.attempt();
        } catch (BreakerOpenException e) {
            return CompletableFuture.failedFuture(new NotAcknowledgedException(false, "Kafka did not answer just now ("
                    + e.getMessage() + ")", e));
        }
        CompletableFuture<RecordMetadata> acknowledged = new CompletableFuture<>();
        Thread sender = Thread.currentThread();
        AtomicBoolean returned = new AtomicBoolean();
        try {
            producer.send(topic.serialized(key, value), (metadata, error) -> {
                if (error == null) {
                    attempt.succeeded();
                    acknowledged.complete(metadata);
                } else {
                    attempt.failed();
                    // The producer calls back before send returns, on the caller's thread, only when it refused the
                    // record before appending it (no metadata within max.block.ms, too large, closed): not sent.
                    boolean refused = Thread.currentThread() == sender && !returned.get();
                    acknowledged.completeExceptionally(new NotAcknowledgedException(!refused, error.getMessage(), error));
                }
            });
        } catch (RuntimeException e) {
            attempt.failed();
            acknowledged.completeExceptionally(new NotAcknowledgedException(false, e.getMessage(), e));
        } finally {
            returned.set(true);
        }
        return acknowledged;
    }

    /** The longest a publish may take before it fails: waiting for metadata, then for delivery. */
    Duration maxPublishTime() {
        return maxPublishTime;
    }

    @Override
    public void close() {
        producer.close();
    }
}
