package io.breakwater.launcher.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows a topic's committed records ({@code read_committed}) from the start, on a thread of its own, counting them
 * and the distinct keys seen: the progress a fault schedule waits on. Thread-safe.
 */
public final class OutcomeTail implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Set<String> keys = ConcurrentHashMap.newKeySet();
    private final AtomicInteger records = new AtomicInteger();
    private final Thread thread;
    private volatile boolean closed;

    public OutcomeTail(String bootstrapServers, String topic) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "outcome-tail-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        thread = new Thread(this::follow, "outcome-tail");
        thread.setDaemon(true);
        thread.start();
    }

    /** Records read so far. */
    public int records() {
        return records.get();
    }

    /** Distinct keys read so far. */
    public boolean seen(String key) {
        return keys.contains(key);
    }

    public int distinctKeys() {
        return keys.size();
    }

    private void follow() {
        try {
            while (!closed) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    records.incrementAndGet();
                    keys.add(new String(record.key(), java.nio.charset.StandardCharsets.UTF_8));
                });
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        consumer.wakeup();
        thread.join(5_000);
    }
}
