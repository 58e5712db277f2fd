package io.breakwater.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Watches a topic as any downstream consumer would ({@code read_committed}, from the beginning): counts its records
 * and notes when each key was first seen, so that throughput is measured from the first output to the last, and
 * latency from a record's publication to its output's visibility, by the same clock.
 */
final class OutputWatcher implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final BiConsumer<Long, ConsumerRecord<byte[], byte[]>> onRecord;
    private final Map<String, Long> seenAt = new ConcurrentHashMap<>();
    private volatile long firstNanos;
    private volatile long lastNanos;
    private volatile int count;
    private volatile boolean running = true;

    private OutputWatcher(KafkaConsumer<byte[], byte[]> consumer,
                          BiConsumer<Long, ConsumerRecord<byte[], byte[]>> onRecord) {
        this.consumer = consumer;
        this.onRecord = onRecord;
        this.thread = new Thread(this::run, "bench-watcher");
        this.thread.setDaemon(true);
    }

    static OutputWatcher start(String bootstrap, String topic) {
        return start(bootstrap, topic, (nanos, record) -> { });
    }

    /** As {@link #start(String, String)}, telling {@code onRecord} of each record and when it was seen. */
    static OutputWatcher start(String bootstrap, String topic,
                               BiConsumer<Long, ConsumerRecord<byte[], byte[]>> onRecord) {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(info -> new TopicPartition(topic, info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        OutputWatcher watcher = new OutputWatcher(consumer, onRecord);
        watcher.thread.start();
        return watcher;
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                    long now = System.nanoTime();
                    if (count == 0) {
                        firstNanos = now;
                    }
                    lastNanos = now;
                    count++;
                    if (record.key() != null) {
                        seenAt.putIfAbsent(new String(record.key(), StandardCharsets.UTF_8), now);
                    }
                    onRecord.accept(now, record);
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    int count() {
        return count;
    }

    /** Waits until {@code expected} records were seen. */
    void await(int expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("saw " + count + " of " + expected + " records within " + timeout.toSeconds() + " s");
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    /** Records per second from the first record seen to the last. */
    double ratePerSecond() {
        long elapsed = lastNanos - firstNanos;
        return elapsed <= 0 ? Double.NaN : (count - 1) * 1e9 / elapsed;
    }

    /** When {@code key} was first seen (System.nanoTime), if it was. */
    Long seenAt(String key) {
        return seenAt.get(key);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
