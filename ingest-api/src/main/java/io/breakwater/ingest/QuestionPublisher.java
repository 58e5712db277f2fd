package io.breakwater.ingest;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;

/**
 * Publishes accepted questions to {@code qa.questions}, completing once every in-sync replica has the record: only
 * then may the API answer 202. Thread-safe.
 */
final class QuestionPublisher implements AutoCloseable {

    private final Topic<String, QuestionEvent> topic;
    private final KafkaProducer<String, QuestionEvent> producer;

    QuestionPublisher(KafkaSettings kafka, Topic<String, QuestionEvent> topic) {
        this.topic = topic;
        Map<String, Object> props = KafkaClients.producer(kafka, "breakwater-ingest-api");
        // A client waits on the POST: fail it within seconds, not after the producer's default minute.
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        this.producer = new KafkaProducer<>(props, topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    /** Completes when Kafka acknowledged the question, or exceptionally when it could not take it. */
    CompletableFuture<RecordMetadata> publish(QuestionEvent question) {
        CompletableFuture<RecordMetadata> acknowledged = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(topic.name(), question.id(), question), (metadata, error) -> {
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
