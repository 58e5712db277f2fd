package io.breakwater.core.pipeline;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Records polled and not yet committed, in offset order per partition. Records finish in any order, but a
 * partition's offset may only advance past a record once every record before it has finished: {@link #takeDone()}
 * takes each partition's finished prefix. Used by the loop's thread alone.
 */
final class InFlight<R> {

    /** What handling one record came to: its result (null if handling threw) and its output records. */
    record Done<R>(R result, List<ProducerRecord<byte[], byte[]>> outputs) {
    }

    private record Pending<R>(long offset, Future<Done<R>> future) {
    }

    /**
     * A batch ready to commit: results, their outputs, each partition's next offset, and each partition's first
     * offset in the batch (where to resume if the batch cannot commit).
     */
    record Batch<R>(List<R> results, List<ProducerRecord<byte[], byte[]>> outputs,
                    Map<TopicPartition, OffsetAndMetadata> offsets, Map<TopicPartition, Long> firstOffsets,
                    Map<String, Long> inputsByTopic) {

        boolean isEmpty() {
            return offsets.isEmpty();
        }

        /** How many input records the batch moves past. */
        long inputs() {
            return inputsByTopic.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final Map<TopicPartition, ArrayDeque<Pending<R>>> partitions = new HashMap<>();
    private int size;

    void add(TopicPartition partition, long offset, Future<Done<R>> future) {
        partitions.computeIfAbsent(partition, p -> new ArrayDeque<>()).addLast(new Pending<>(offset, future));
        size++;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Takes every partition's finished prefix. */
    Batch<R> takeDone() {
        return takeDone(Integer.MAX_VALUE);
    }

    /** Takes finished prefixes, {@code max} records at most: one, to commit a record in a transaction of its own. */
    Batch<R> takeDone(int max) {
        int taken = 0;
        List<R> results = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Map<TopicPartition, Long> firstOffsets = new HashMap<>();
        Map<String, Long> inputsByTopic = new HashMap<>();
        for (Iterator<Map.Entry<TopicPartition, ArrayDeque<Pending<R>>>> it = partitions.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<TopicPartition, ArrayDeque<Pending<R>>> entry = it.next();
            ArrayDeque<Pending<R>> queue = entry.getValue();
            long next = -1;
            while (!queue.isEmpty() && queue.peekFirst().future().isDone() && taken < max) {
                taken++;
                Pending<R> pending = queue.pollFirst();
                size--;
                firstOffsets.putIfAbsent(entry.getKey(), pending.offset());
                Done<R> done = resultOf(pending.future());
                if (done.result() != null) {
                    results.add(done.result());
                }
                outputs.addAll(done.outputs());
                next = pending.offset() + 1;
                inputsByTopic.merge(entry.getKey().topic(), 1L, Long::sum);
            }
            if (next >= 0) {
                offsets.put(entry.getKey(), new OffsetAndMetadata(next));
            }
            if (queue.isEmpty()) {
                it.remove();
            }
        }
        return new Batch<>(results, outputs, offsets, firstOffsets, inputsByTopic);
    }

    /** Whether every record in hand has finished. */
    boolean allDone() {
        for (ArrayDeque<Pending<R>> queue : partitions.values()) {
            for (Pending<R> pending : queue) {
                if (!pending.future().isDone()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The offset of each partition's oldest record still in hand: where to resume if its work is abandoned. */
    Map<TopicPartition, Long> firstOffsets() {
        Map<TopicPartition, Long> first = new HashMap<>();
        partitions.forEach((partition, queue) -> first.put(partition, queue.peekFirst().offset()));
        return first;
    }

    /** Abandons the records of {@code dropped}: cancels their handling (interrupting it) and forgets them. */
    void abandon(Collection<TopicPartition> dropped) {
        for (TopicPartition partition : dropped) {
            ArrayDeque<Pending<R>> queue = partitions.remove(partition);
            if (queue != null) {
                queue.forEach(pending -> pending.future().cancel(true));
                size -= queue.size();
            }
        }
    }

    void abandonAll() {
        abandon(List.copyOf(partitions.keySet()));
    }

    private static <R> Done<R> resultOf(Future<Done<R>> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading a finished result", e);
        } catch (ExecutionException e) {
            // The loop's task wrapper turns every handler failure into a dead-letter result; this is a bug.
            throw new IllegalStateException("record task failed outside its handler", e.getCause());
        }
    }
}
