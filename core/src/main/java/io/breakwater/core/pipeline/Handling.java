package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.kafka.RecordLimits;

/**
 * Turns one fetched record into what its transaction carries: the handler's result and outputs, or a dead letter
 * with the handler's {@link RecordHandler#failed failed} outcome when the handler throws or produces a record that
 * does not fit its topic ({@link RecordLimits}, checked before sending).
 *
 * <p>A record whose outputs made a transaction fail alone ({@link #failedAlone}) climbs a ladder each time it is
 * handled again: dead-lettered with its failed outcome; then a bare dead letter (no value) with it; then the failed
 * outcome alone; then skipped with nothing sent. Nothing one record holds can stop a partition.
 *
 * <p>{@link #handle} runs on the loop's worker threads, concurrently, and runs {@code onDone} after each record, to
 * wake the loop; the rest runs on the loop's thread.
 */
final class Handling<R> {

    private static final Logger log = LoggerFactory.getLogger(Handling.class);

    private final String name;
    private final String deadLetterTopic;
    private final RecordHandler<R> handler;
    private final RecordLimits limits;
    private final LoopListener listener;
    private final Runnable onDone;
    /** Records whose outputs failed a transaction alone (one per partition at most). */
    private final Map<TopicPartition, Poison> poison = new ConcurrentHashMap<>();

    Handling(LoopSettings settings, RecordHandler<R> handler, RecordLimits limits, LoopListener listener,
             Runnable onDone) {
        this.name = settings.name();
        this.deadLetterTopic = settings.deadLetterTopic();
        this.handler = handler;
        this.limits = limits;
        this.listener = listener;
        this.onDone = onDone;
    }

    InFlight.Done<R> handle(ConsumerRecord<byte[], byte[]> record) {
        long start = System.nanoTime();
        try {
            Poison known = poison.get(new TopicPartition(record.topic(), record.partition()));
            if (known != null && known.offset() == record.offset()) {
                return known.failures() >= 4 ? skipped(record, known.cause())
                        : known.failures() == 3 ? failedOutcomeOnly(record, known.cause())
                        : known.failures() == 2 ? bareDeadLetter(record, known.cause())
                        : failed(record, DeadLetters.REASON_COMMIT_FAILED, known.cause());
            }
            R result = handler.handle(record);
            List<ProducerRecord<byte[], byte[]>> outputs = handler.outputs(result);
            for (ProducerRecord<byte[], byte[]> output : outputs) {
                if (!limits.fits(output)) {
                    return failed(record, DeadLetters.REASON_OUTPUT_TOO_LARGE, new RecordTooLargeException(
                            "handling it produced a record of " + RecordLimits.sizeOf(output) + " bytes for "
                                    + output.topic() + ", which takes at most " + limits.maxBytes(output.topic())));
                }
            }
            return new InFlight.Done<>(result, outputs);
        } catch (Exception | StackOverflowError | LinkageError | AssertionError e) {
            // Errors a record can cause (a deeply nested body, a class its content makes a library load) are the
            // record's failure, not the loop's; running out of memory is not, and stops the process.
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return failed(record, DeadLetters.REASON_HANDLER_ERROR, e);
        } finally {
            listener.handled(Duration.ofNanos(System.nanoTime() - start));
            onDone.run();
        }
    }

    /** The record at {@code offset} failed a transaction alone, for {@code cause}: it climbs the ladder. */
    void failedAlone(TopicPartition partition, long offset, Throwable cause) {
        poison.merge(partition, new Poison(offset, 1, cause), (known, fresh) ->
                known.offset() == fresh.offset() ? new Poison(known.offset(), known.failures() + 1, cause) : fresh);
        log.warn("{}: {}-{} failed a transaction alone ({}); it is dead-lettered", name, partition, offset,
                cause.toString());
    }

    /** Forgets the ladder of records that a commit has moved past. */
    void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((partition, next) -> poison.computeIfPresent(partition,
                (p, known) -> known.offset() < next.offset() ? null : known));
    }

    /** Forgets the ladder of partitions this loop no longer owns. */
    void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(poison::remove);
    }

    /**
     * The record dead-lettered with {@code reason}, and its handler's {@link RecordHandler#failed failed} outcome,
     * each output only if it fits its topic (the dead letter without its value, if that is what it takes).
     */
    private InFlight.Done<R> failed(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
        log.warn("{}: {}-{}@{} dead-lettered to {} ({}): {}", name, record.topic(), record.partition(),
                record.offset(), deadLetterTopic, reason, error.toString());
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        outputs.add(DeadLetters.fitting(DeadLetters.of(record, deadLetterTopic, reason, error), limits));
        FailedOutcome<R> outcome = failedOutcome(record, reason, error);
        outputs.addAll(outcome.outputs());
        return new InFlight.Done<>(outcome.result(), outputs);
    }

    /** The handler's {@link RecordHandler#failed failed} outcome and those of its outputs that fit their topics. */
    private record FailedOutcome<R>(R result, List<ProducerRecord<byte[], byte[]>> outputs) {
    }

    private FailedOutcome<R> failedOutcome(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        R result = null;
        try {
            result = handler.failed(record, reason, error);
            if (result != null) {
                for (ProducerRecord<byte[], byte[]> output : handler.outputs(result)) {
                    if (limits.fits(output)) {
                        outputs.add(output);
                    } else {
                        log.warn("{}: the failed outcome of {}-{}@{} does not fit {}; only the dead letter is sent",
                                name, record.topic(), record.partition(), record.offset(), output.topic());
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("{}: no failed outcome for {}-{}@{}: {}", name, record.topic(), record.partition(),
                    record.offset(), e.toString());
        }
        return new FailedOutcome<>(result, outputs);
    }

    /**
     * For a record whose dead letter and failed outcome failed a transaction too: a bare dead letter (no value, only
     * the pipeline's headers) with the failed outcome, so that accepted work still ends.
     */
    private InFlight.Done<R> bareDeadLetter(ConsumerRecord<byte[], byte[]> record, Throwable error) {
        log.error("{}: {}-{}@{} fails every transaction; dead-lettering it without its value", name,
                record.topic(), record.partition(), record.offset());
        FailedOutcome<R> outcome = failedOutcome(record, DeadLetters.REASON_COMMIT_FAILED, error);
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        outputs.add(DeadLetters.bare(DeadLetters.of(record, deadLetterTopic, DeadLetters.REASON_COMMIT_FAILED, error)));
        outputs.addAll(outcome.outputs());
        return new InFlight.Done<>(outcome.result(), outputs);
    }

    /** When the bare dead letter failed too: the failed outcome alone, which is all accepted work needs to end. */
    private InFlight.Done<R> failedOutcomeOnly(ConsumerRecord<byte[], byte[]> record, Throwable error) {
        log.error("{}: {}-{}@{} fails even its bare dead letter; ending its work without one", name,
                record.topic(), record.partition(), record.offset());
        FailedOutcome<R> outcome = failedOutcome(record, DeadLetters.REASON_COMMIT_FAILED, error);
        return new InFlight.Done<>(outcome.result(), outcome.outputs());
    }

    /**
     * When even the bare dead letter fails a transaction (the dead-letter topic refuses it, or is gone): the offset
     * moves on with nothing sent, and the log is all that says so. The record stays at its offset until that topic's
     * retention ends. Rather this than a partition stalled for good behind one record.
     */
    private InFlight.Done<R> skipped(ConsumerRecord<byte[], byte[]> record, Throwable error) {
        log.error("{}: {}-{}@{} fails every transaction, its bare dead letter too; skipping it with nothing sent"
                + " (last error: {})", name, record.topic(), record.partition(), record.offset(),
                String.valueOf(error));
        listener.skipped(record);
        return new InFlight.Done<>(null, List.of());
    }

    /** A record that failed a transaction alone: the next time it is handled, it is dead-lettered. */
    private record Poison(long offset, int failures, Throwable cause) {
    }
}
