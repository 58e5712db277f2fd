package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.time.OutsideTime;

/**
 * Where a loop's consumer resumes after a batch could not commit, and when. Each partition goes back to its first
 * record not committed, and nothing is fetched for a backoff that doubles from {@link #MIN_BACKOFF} to
 * {@link #MAX_BACKOFF} with each failure in a row and starts again at the next commit. After a commit whose outcome
 * is unknown, the positions are read from the group's committed offsets instead, before anything is fetched.
 *
 * <p>Used by the loop's thread alone: the consumer is not thread-safe.
 */
final class Rewind {

    private static final Logger log = LoggerFactory.getLogger(Rewind.class);
    static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    private static final Duration COMMITTED_READ_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final Consumer<byte[], byte[]> consumer;
    /** A commit's outcome is unknown: resume from the group's committed offsets before fetching anything. */
    private boolean fromGroup;
    private long resumeAtNanos;
    private Duration backoff = MIN_BACKOFF;

    Rewind(String name, Consumer<byte[], byte[]> consumer) {
        this.name = name;
        this.consumer = consumer;
    }

    /** A batch committed: the next failure backs off from the start again. */
    void committed() {
        backoff = MIN_BACKOFF;
    }

    /** Whether the loop must fetch nothing for now. */
    boolean holding() {
        return fromGroup || System.nanoTime() < resumeAtNanos;
    }

    /** Seeks each owned partition back to {@code firstOffsets} and backs off, saying {@code why}. */
    void rewind(Map<TopicPartition, Long> firstOffsets, String why) {
        for (Map.Entry<TopicPartition, Long> entry : firstOffsets.entrySet()) {
            if (consumer.assignment().contains(entry.getKey())) {
                consumer.seek(entry.getKey(), entry.getValue());
            }
        }
        log.warn("{}: {}; handling {} partition(s) again from their last commit in {} ms", name, why,
                firstOffsets.size(), backoff.toMillis());
        resumeAtNanos = OutsideTime.plusNanosSaturated(System.nanoTime(), backoff);
        backoff = doubled(backoff);
    }

    /** After a commit whose outcome is unknown: the next {@link #resumeFromGroup} reads the group's offsets. */
    void fromGroup() {
        fromGroup = true;
    }

    /**
     * If a commit's outcome was unknown and the backoff is over, resumes every partition from the group's committed
     * offset (from the beginning if it has none). If they cannot be read yet, tries again after a backoff.
     *
     * @throws InvalidConfigurationException if the group's offsets may not be read: an operator must act
     */
    void resumeFromGroup() {
        if (!fromGroup || System.nanoTime() < resumeAtNanos) {
            return;
        }
        try {
            // The producer, if lost, is made again by the next commit, on the committer's thread: only it uses one.
            Set<TopicPartition> assignment = consumer.assignment();
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assignment, COMMITTED_READ_TIMEOUT);
            List<TopicPartition> fromStart = new ArrayList<>();
            for (TopicPartition partition : assignment) {
                OffsetAndMetadata offset = committed.get(partition);
                if (offset == null) {
                    fromStart.add(partition);
                } else {
                    consumer.seek(partition, offset.offset());
                }
            }
            consumer.seekToBeginning(fromStart);
            fromGroup = false;
            log.info("{}: resumed from the group's committed offsets after a commit of unknown outcome", name);
        } catch (InvalidConfigurationException e) {
            throw e;
        } catch (KafkaException e) {
            log.warn("{}: cannot read the committed offsets yet ({}); trying again in {} ms", name, e.toString(),
                    backoff.toMillis());
            resumeAtNanos = System.nanoTime() + backoff.toNanos();
            backoff = doubled(backoff);
        }
    }

    private static Duration doubled(Duration backoff) {
        return backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }
}
