package io.breakwater.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import io.breakwater.core.config.KafkaSettings;

/**
 * Review evidence (issue 12): the loop's producer (now made by {@link TransactionalCommitter}) is constructed and then
 * calls initTransactions; when that throws (Kafka away: TimeoutException after max.block.ms) the producer was never
 * closed. The committer makes producers again and again while Kafka is away (at every commit, and when it replaces
 * one), so each failed attempt would leak a producer with its network thread. {@code TransactionalCommitterTest}
 * holds the same promise without a network.
 */
class ExactlyOnceLoopProducerLeakTest {

    @Test
    void aProducerWhoseInitTransactionsFailsIsClosed() {
        String tx = "leak-" + UUID.randomUUID().toString().substring(0, 8);
        KafkaSettings unreachable = new KafkaSettings("127.0.0.1:1", Map.of("max.block.ms", "500",
                "default.api.timeout.ms", "500", "request.timeout.ms", "500"));
        LoopSettings settings = new LoopSettings("leak", List.of("in"), "dlq", "group-" + tx, tx, 1,
                Duration.ofMillis(50));
        RecordHandler<String> handler = new RecordHandler<>() {
            @Override
            public String handle(ConsumerRecord<byte[], byte[]> record) {
                return "";
            }

            @Override
            public List<ProducerRecord<byte[], byte[]>> outputs(String result) {
                return List.of();
            }
        };
        assertThatThrownBy(() -> ExactlyOnceLoop.start(settings, unreachable, handler, Admission.upTo(1), e -> { }))
                .isInstanceOf(org.apache.kafka.common.KafkaException.class);
        // A closed producer's network thread ends within moments; a leaked one never does.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("kafka-producer-network-thread") && thread.getName().contains(tx))
                .count()).as("producer network threads left running for " + tx).isZero());
    }
}
