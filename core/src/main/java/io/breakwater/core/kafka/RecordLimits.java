package io.breakwater.core.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.breakwater.core.config.KafkaSettings;

/**
 * How large a record each topic takes: its {@code max.message.bytes}, read from the cluster once per topic (and again
 * after {@link #REFRESH}), so that a record the broker would refuse is found before it is sent, not by a transaction
 * that aborts on every retry. A limit that cannot be read keeps its last known value (see {@link #maxBytes}). The
 * estimate is of the record uncompressed, which is what the producer checks too: a record that passes fits,
 * whatever compression does. Thread-safe.
 */
public final class RecordLimits implements AutoCloseable {

    /** Kafka's default {@code max.message.bytes} (1 MiB plus a batch header): what a topic takes unless set. */
    public static final int DEFAULT_MAX_BYTES = 1_048_588;
    /**
     * The producers' {@code max.request.size}: above the largest topic limit the catalogue sets (2 MiB for
     * {@code crawl.pages}), so the topic's limit, checked here, is the one that decides.
     */
    public static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;
    /** Room for a record's framing in a batch: offsets, lengths, timestamps, the batch header. */
    static final int OVERHEAD_BYTES = 128;
    static final Duration REFRESH = Duration.ofMinutes(10);
    private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(10);
    /** How soon a limit that could not be read is asked for again. */
    private static final Duration UNREAD_RETRY = Duration.ofSeconds(30);

    private final Admin admin;
    /** The last limit read per topic, kept when a later read fails: a limit once known is the best guess after. */
    private final Cache<String, Known> byTopic = Caffeine.newBuilder().maximumSize(1_000).build();

    /** A topic's limit and when to read it again. */
    private record Known(int maxBytes, long readAgainAtNanos) {
    }

    private RecordLimits(Admin admin) {
        this.admin = admin;
    }

    /** Limits read from the cluster {@code kafka} names. */
    public static RecordLimits of(KafkaSettings kafka, String clientId) {
        return new RecordLimits(KafkaClients.createAdmin(kafka, clientId));
    }

    /** Limits known in advance, for tests: {@code limits} by topic, the default for any other. */
    public static RecordLimits fixed(Map<String, Integer> limits) {
        RecordLimits fixed = new RecordLimits(null);
        limits.forEach((topic, bytes) -> fixed.byTopic.put(topic, new Known(bytes, Long.MAX_VALUE)));
        return fixed;
    }

    /**
     * The most bytes a record on {@code topic} may have. When the topic's setting has never been read and cannot be
     * read now, {@link #MAX_REQUEST_BYTES}: not knowing must not make a record count as too large for good; if the
     * broker does refuse it, the transaction says so, and the loop isolates the record then.
     */
    public int maxBytes(String topic) {
        Known known = byTopic.getIfPresent(topic);
        long now = System.nanoTime();
        if (known != null && now - known.readAgainAtNanos() < 0) {
            return known.maxBytes();
        }
        if (known != null && admin != null) {
            // Known, but due to be read again: read it in the background and go on with what is known, so that no
            // worker thread waits on the cluster for a figure it has (Kafka may be away just then).
            byTopic.put(topic, new Known(known.maxBytes(), now + UNREAD_RETRY.toNanos()));
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.describeConfigs(java.util.List.of(resource)).all().whenComplete((configs, error) -> {
                if (error == null) {
                    Integer read = limitIn(configs.get(resource));
                    if (read != null) {
                        byTopic.put(topic, new Known(read, System.nanoTime() + REFRESH.toNanos()));
                    }
                }
            });
            return known.maxBytes();
        }
        Integer read = describe(topic);
        if (read != null) {
            byTopic.put(topic, new Known(read, now + REFRESH.toNanos()));
            return read;
        }
        int guess = known != null ? known.maxBytes() : MAX_REQUEST_BYTES;
        byTopic.put(topic, new Known(guess, now + UNREAD_RETRY.toNanos()));
        return guess;
    }

    /** Whether {@code record} fits its topic. */
    public boolean fits(ProducerRecord<byte[], byte[]> record) {
        // The producer refuses a record over its max.request.size whatever the topic would take.
        return sizeOf(record) <= Math.min(maxBytes(record.topic()), MAX_REQUEST_BYTES);
    }

    /** {@code record}'s size as the broker counts it, uncompressed: key, value, headers and framing. */
    public static int sizeOf(ProducerRecord<byte[], byte[]> record) {
        long size = OVERHEAD_BYTES + length(record.key()) + length(record.value());
        for (Header header : record.headers()) {
            size += header.key().getBytes(StandardCharsets.UTF_8).length + length(header.value()) + 8;
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }

    /** The topic's limit as the cluster has it, or null if it cannot be read now. */
    private Integer describe(String topic) {
        if (admin == null) {
            return DEFAULT_MAX_BYTES;
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            return limitIn(admin.describeConfigs(java.util.List.of(resource)).all()
                    .get(DESCRIBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(resource));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            // Unreadable now (Kafka away, not authorized): the default is safe for every topic left at it.
            return null;
        }
    }

    /** {@code max.message.bytes} in a topic's configuration; the default if unset, null if it is not a number. */
    private static Integer limitIn(Config config) {
        ConfigEntry entry = config == null ? null : config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        if (entry == null || entry.value() == null) {
            return DEFAULT_MAX_BYTES;
        }
        try {
            return Integer.parseInt(entry.value());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
