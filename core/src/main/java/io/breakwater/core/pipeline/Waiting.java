package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import io.breakwater.core.time.OutsideTime;

/**
 * Records fetched but not yet handed to the workers, in offset order per partition, and the partitions holding
 * because their next record is not due. Used by the loop's thread alone.
 */
final class Waiting {

    /**
     * A record held longer than this, with a record behind it that has no wait of its own, goes to the end of its
     * topic instead of holding the partition: one far-off not-before, or one dead host's breaker, must not stop the
     * work behind it.
     */
    static final Duration REQUEUE_AFTER = Duration.ofSeconds(1);

    private final Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> partitions = new LinkedHashMap<>();
    private final Map<TopicPartition, Long> heldUntilNanos = new HashMap<>();

    void add(ConsumerRecord<byte[], byte[]> record) {
        partitions.computeIfAbsent(new TopicPartition(record.topic(), record.partition()), p -> new ArrayDeque<>())
                .addLast(record);
    }

    /** The partitions with records waiting: no need to fetch more for them. */
    Set<TopicPartition> partitions() {
        return partitions.keySet();
    }

    /**
     * Hands records to {@code handle} while {@code room} says there is room, each partition oldest first; a partition
     * whose next record the admission holds waits, with the records behind it, until the hold ends.
     */
    void admit(Admission admission, IntSupplier room, Consumer<ConsumerRecord<byte[], byte[]>> handle) {
        admit(admission, room, handle, null);
    }

    /**
     * As {@link #admit(Admission, IntSupplier, Consumer)}; and where a record is held longer than
     * {@link #REQUEUE_AFTER} while the one behind it has no wait of its own, that record goes to {@code requeue}
     * (to be sent to the end of its topic) and the partition goes on. Without {@code requeue}, partitions hold.
     */
    void admit(Admission admission, IntSupplier room, Consumer<ConsumerRecord<byte[], byte[]>> handle,
               Consumer<ConsumerRecord<byte[], byte[]>> requeue) {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>>> it = partitions.entrySet().iterator();
             it.hasNext() && room.getAsInt() > 0; ) {
            Map.Entry<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> entry = it.next();
            TopicPartition partition = entry.getKey();
            if (heldUntilNanos.getOrDefault(partition, now) - now > 0) {
                continue;
            }
            heldUntilNanos.remove(partition);
            ArrayDeque<ConsumerRecord<byte[], byte[]>> queue = entry.getValue();
            // Once a due record is known to be behind, it stays behind until it is reached: the queue is scanned
            // once per partition, not once per requeued record.
            boolean dueBehind = false;
            while (!queue.isEmpty() && room.getAsInt() > 0) {
                Duration hold = holdFor(admission, queue.peekFirst());
                if (requeue != null && hold.compareTo(REQUEUE_AFTER) > 0
                        && (dueBehind || (dueBehind = anyDueBehind(admission, queue)))) {
                    requeue.accept(queue.pollFirst());
                    continue;
                }
                if (!hold.isZero() && !hold.isNegative()) {
                    heldUntilNanos.put(partition, OutsideTime.plusNanosSaturated(now, hold));
                    break;
                }
                dueBehind = false;
                handle.accept(queue.pollFirst());
            }
            if (queue.isEmpty()) {
                it.remove();
            }
        }
    }

    /**
     * The admission's hold for {@code record}; none if it cannot tell (a record it cannot read): the handler then
     * meets the record, and dead-letters it if it is bad, instead of the loop stopping on it.
     */
    private static Duration holdFor(Admission admission, ConsumerRecord<byte[], byte[]> record) {
        try {
            Duration hold = admission.holdFor(record);
            return hold == null ? Duration.ZERO : hold;
        } catch (RuntimeException e) {
            return Duration.ZERO;
        }
    }

    private static boolean mustWait(Admission admission, ConsumerRecord<byte[], byte[]> record) {
        try {
            return admission.mustWait(record);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether a record behind the first has no wait of its own: then the first need not hold them all. */
    private static boolean anyDueBehind(Admission admission, ArrayDeque<ConsumerRecord<byte[], byte[]>> queue) {
        Iterator<ConsumerRecord<byte[], byte[]>> it = queue.iterator();
        it.next();
        while (it.hasNext()) {
            if (!mustWait(admission, it.next())) {
                return true;
            }
        }
        return false;
    }

    /** Each partition's oldest waiting offset: where to resume if the waiting records are given up. */
    Map<TopicPartition, Long> firstOffsets() {
        Map<TopicPartition, Long> first = new HashMap<>();
        partitions.forEach((partition, queue) -> first.put(partition, queue.peekFirst().offset()));
        return first;
    }

    void forget(Collection<TopicPartition> dropped) {
        dropped.forEach(partition -> {
            partitions.remove(partition);
            heldUntilNanos.remove(partition);
        });
    }

    void clear() {
        partitions.clear();
        heldUntilNanos.clear();
    }
}
