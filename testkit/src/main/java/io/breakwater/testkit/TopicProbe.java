package io.breakwater.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What a test needs of a topic from the outside, as any other Kafka client would see it: publish raw records, and
 * read committed records from the beginning. Each read uses a fresh consumer group.
 */
public final class TopicProbe {

    private final String bootstrapServers;

    public TopicProbe(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** Publishes one record and waits for the broker's acknowledgement. */
    public void publish(String topic, byte[] key, byte[] value, Headers headers) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, null, key, value, headers)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("publish to " + topic + " failed", e.getCause());
        }
    }

    /** Publishes UTF-8 keys and values in their order, with one producer, and waits until the broker has them all. */
    public void publishAll(String topic, Map<String, String> keysAndValues) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            keysAndValues.forEach((key, value) -> producer.send(new ProducerRecord<>(topic,
                    key.getBytes(java.nio.charset.StandardCharsets.UTF_8), value.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
            producer.flush();
        }
    }

    public void publish(String topic, byte[] key, byte[] value) {
        publish(topic, key, value, new org.apache.kafka.common.header.internals.RecordHeaders());
    }

    /**
     * Reads the topic's committed records from the beginning until {@code done} holds for what was read, or
     * {@code timeout} passes; returns what was read either way.
     */
    public List<ConsumerRecord<byte[], byte[]>> readUntil(String topic, Predicate<List<ConsumerRecord<byte[], byte[]>>> done,
                                                          Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader()) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(read) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(read::add);
            }
        }
        return read;
    }

    /** Reads until at least {@code count} records are there, or {@code timeout} passes. */
    public List<ConsumerRecord<byte[], byte[]>> readAtLeast(String topic, int count, Duration timeout) {
        return readUntil(topic, read -> read.size() >= count, timeout);
    }

    /**
     * Reads for {@code quiet} after the last record arrived (or from the start), to see everything a topic will
     * hold once its writers are done: for asserting that nothing more, such as a duplicate, shows up.
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, Duration quiet) {
        List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader()) {
            consumer.subscribe(List.of(topic));
            long quietUntil = System.nanoTime() + quiet.toNanos();
            while (System.nanoTime() < quietUntil) {
                var records = consumer.poll(Duration.ofMillis(100));
                if (!records.isEmpty()) {
                    records.forEach(read::add);
                    quietUntil = System.nanoTime() + quiet.toNanos();
                }
            }
        }
        return read;
    }

    /**
     * Every committed record {@code topic} holds up to now: read from the beginning to each partition's last stable
     * offset as it stands at the start, however busy the topic (a quiet window never comes on a topic written to all
     * the time), within {@code atMost}.
     */
    public List<ConsumerRecord<byte[], byte[]>> readToEnd(String topic, Duration atMost) {
        List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
        long deadline = System.nanoTime() + atMost.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader()) {
            List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic, atMost).stream()
                    .map(info -> new org.apache.kafka.common.TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<org.apache.kafka.common.TopicPartition, Long> ends = consumer.endOffsets(partitions, atMost);
            while (System.nanoTime() < deadline
                    && partitions.stream().anyMatch(partition -> consumer.position(partition) < ends.get(partition))) {
                consumer.poll(Duration.ofMillis(100)).forEach(read::add);
            }
        }
        return read;
    }

    private KafkaConsumer<byte[], byte[]> committedReader() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
