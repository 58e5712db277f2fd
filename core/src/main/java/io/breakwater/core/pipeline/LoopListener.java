package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Told what an {@link ExactlyOnceLoop} did: each record handled, each batch committed, each record skipped. A batch
 * is reported once it has committed: an aborted transaction reports nothing, so a record handled twice after a
 * failure counts once. The loop's metrics ({@link LoopMetrics}) subscribe here, so the loop need not know which
 * topics are parked or dead letters.
 *
 * <p>Called from the loop's worker and committer threads, concurrently: implementations must be thread-safe, quick,
 * and must not throw.
 */
interface LoopListener {

    /** Hears nothing. */
    LoopListener NONE = new LoopListener() {
    };

    /** A worker finished one record (its outcome is not committed yet), after {@code took}. */
    default void handled(Duration took) {
    }

    /** A batch committed, outputs and input offsets together. */
    default void committed(CommittedBatch batch) {
    }

    /**
     * A worker passed a record over with nothing sent, not even a dead letter. Told when decided, before the commit
     * (as the skipped-records metric always counted): if that transaction fails, the record is skipped, and told,
     * again.
     */
    default void skipped(ConsumerRecord<byte[], byte[]> record) {
    }

    /**
     * What one transaction committed.
     *
     * @param inputsByTopic input records whose offsets it moved past, per input topic
     * @param outputsByTopic records it sent, per topic (outputs, parked work, dead letters)
     * @param took storing the batch's outcomes and its transaction
     */
    record CommittedBatch(Map<String, Long> inputsByTopic, Map<String, Long> outputsByTopic, Duration took) {

        public CommittedBatch {
            inputsByTopic = Map.copyOf(inputsByTopic);
            outputsByTopic = Map.copyOf(outputsByTopic);
        }

        long inputs() {
            return inputsByTopic.values().stream().mapToLong(Long::longValue).sum();
        }
    }
}
