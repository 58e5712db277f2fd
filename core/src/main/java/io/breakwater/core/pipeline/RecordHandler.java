package io.breakwater.core.pipeline;

import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What an {@link ExactlyOnceLoop} does with each input record.
 *
 * @param <R> the result of handling one record
 */
public interface RecordHandler<R> {

    /**
     * Runs on the loop's thread with each batch of fetched records, before any of them is handled: a handler may look
     * up what it needs for all of them at once, one round trip instead of one per record. Optional and best effort:
     * {@link #handle} must still work for a record this did not cover, and this must not throw.
     */
    default void prefetch(List<ConsumerRecord<byte[], byte[]>> records) {
    }

    /**
     * How many records may be handled at once now, on the loop's worker threads (at most the loop's concurrency):
     * for a handler whose calls are bounded elsewhere (an adaptive limit of calls in flight), so that records do
     * not each hold a thread only to wait their turn. Asked on the loop's thread before records are handed out;
     * must be cheap and must not throw.
     */
    default int handlingLimit() {
        return Integer.MAX_VALUE;
    }

    /**
     * Handles one record, on one of the loop's worker threads, concurrently with other records. Bad input should
     * become a result (say, a dead-letter record among its outputs); anything thrown sends the record to the loop's
     * dead-letter topic with the exception in headers.
     */
    R handle(ConsumerRecord<byte[], byte[]> record) throws Exception;

    /**
     * The outcome of a record that the loop dead-letters instead of handling it to the end: {@link #handle} threw,
     * what it produced does not fit its topic, or its outputs made the transaction fail twice ({@code reason} is one
     * of {@link DeadLetters}' reasons). A handler whose work was accepted from a caller ends that work here (a
     * {@code failed} outcome, say), so nothing accepted stays pending: the result's outputs commit with the dead
     * letter, and {@link #beforeCommit} sees the result. Runs on a worker thread; must not throw (if it does, the dead
     * letter commits alone).
     *
     * @return the result, or null for nothing but the dead letter
     */
    default R failed(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
        return null;
    }

    /** The records a result produces, committed in the same transaction as the input's offset. */
    List<ProducerRecord<byte[], byte[]>> outputs(R result);

    /**
     * Runs on the loop's committer thread just before a batch of results commits, while the loop's workers already
     * handle the next records: for side effects that must hold before the input counts as done (store the answers). It must be idempotent: if it throws, or the transaction then fails,
     * the inputs are handled again and this runs again for their results.
     */
    default void beforeCommit(List<R> results) throws Exception {
    }
}
