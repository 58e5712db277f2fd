package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a batch's outputs and its input offsets in one Kafka transaction, and owns the transactional producer
 * that does it: made (and {@code initTransactions}) at construction, replaced when fenced, when an abort fails or
 * when a commit's outcome is unknown, and made again at the next commit if it could not be replaced at once. A
 * producer whose {@code initTransactions} fails is closed, since that happens again at every attempt while Kafka is
 * away. Every commit answers an {@link Outcome}: {@link Committed}, {@link Retry} (nothing of the batch is in: the
 * loop rewinds and handles it again) or {@link Fatal} (retrying cannot help: the loop stops).
 *
 * <p>A commit that times out is retried, as Kafka requires (it will not abort it), for {@link #DEFAULT_COMMIT_RETRY};
 * past that, or once the loop is stopping, its outcome is unknown: the producer is replaced, which ends the open
 * transaction one way or the other, and the loop resumes from the group's committed offsets.
 *
 * <p>Not thread-safe: one thread commits at a time (the loop's committer thread); {@link #close} once that thread is
 * done.
 */
final class TransactionalCommitter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TransactionalCommitter.class);
    /** How long a commit that times out is retried before its outcome counts as unknown. */
    static final Duration DEFAULT_COMMIT_RETRY = Duration.ofMinutes(2);

    /** What became of one batch's transaction. */
    sealed interface Outcome permits Committed, Retry, Fatal {
    }

    /** The outputs and offsets are in; {@code took} counts the producer's making, the pre-commit step and the commit. */
    record Committed(Duration took) implements Outcome {
    }

    /**
     * Nothing of the batch is in (aborted, or never begun): rewind to its first offsets and handle it again, after a
     * backoff. With {@code outcomeUnknown}, the commit may have gone through: resume from the group's committed
     * offsets instead.
     */
    record Retry(String why, Throwable failure, boolean outcomeUnknown) implements Outcome {

        /** The error among the failure's causes that is about the records sent, not about Kafka or the network. */
        Throwable recordFault() {
            return TransactionalCommitter.recordFault(failure);
        }
    }

    /** Authorization, authentication, unsupported versions: retrying cannot help; an operator must act. */
    record Fatal(RuntimeException failure) implements Outcome {
    }

    /** Work that must hold before the inputs count as done (storing outcomes); it may throw, and then nothing commits. */
    @FunctionalInterface
    interface BeforeTransaction {
        void run() throws Exception;
    }

    private final String name;
    private final String transactionalId;
    private final Supplier<Producer<byte[], byte[]>> producers;
    private final BooleanSupplier running;
    private final Duration commitRetry;
    private final LongSupplier nanoTime;
    /** Null while it cannot be made again; the next commit tries. Volatile: made on one thread, closed on another. */
    private volatile Producer<byte[], byte[]> producer;

    /**
     * Makes the first producer at once, so that a loop that cannot reach Kafka, or may not use its transactional id,
     * does not start.
     *
     * @param producers makes a transactional producer, not yet initialised
     * @param running false once the loop is stopping: a commit that times out is then not retried
     * @param nanoTime a monotonic clock ({@code System::nanoTime}) for the commit's retry deadline
     * @throws KafkaException if the first producer cannot initialise its transactions
     */
    TransactionalCommitter(String name, String transactionalId, Supplier<Producer<byte[], byte[]>> producers,
                           BooleanSupplier running, Duration commitRetry, LongSupplier nanoTime) {
        this.name = Objects.requireNonNull(name, "name");
        this.transactionalId = Objects.requireNonNull(transactionalId, "transactionalId");
        this.producers = Objects.requireNonNull(producers, "producers");
        this.running = Objects.requireNonNull(running, "running");
        this.commitRetry = Objects.requireNonNull(commitRetry, "commitRetry");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.producer = newProducer();
    }

    /**
     * Runs {@code beforeTransaction}, then sends {@code outputs} and commits them with {@code offsets} in one
     * transaction. Never throws: every failure is an outcome.
     */
    Outcome commit(List<ProducerRecord<byte[], byte[]>> outputs, Map<TopicPartition, OffsetAndMetadata> offsets,
                   ConsumerGroupMetadata group, BeforeTransaction beforeTransaction) {
        long start = nanoTime.getAsLong();
        try {
            if (producer == null) {
                // Lost with a fence or an unknown commit, and not yet made again: no transaction without it.
                producer = newProducer();
            }
            try {
                beforeTransaction.run();
            } catch (Exception e) {
                throw new BeforeCommitFailed(e);
            }
            transact(outputs, offsets, group);
            return new Committed(Duration.ofNanos(nanoTime.getAsLong() - start));
        } catch (Throwable e) {
            return outcomeOf(e);
        }
    }

    /** What the loop must do after a commit that failed with {@code failure}. */
    static Outcome outcomeOf(Throwable failure) {
        if (failure instanceof InvalidConfigurationException fatal) {
            return new Fatal(fatal);
        } else if (failure instanceof BeforeCommitFailed stored) {
            return new Retry("cannot finish a batch before its commit: " + stored.getCause(), failure, false);
        } else if (failure instanceof ApplicationRecoverableException) {
            return new Retry("fenced: " + failure, failure, false);
        } else if (failure instanceof CommitOutcomeUnknown) {
            return new Retry(failure.getMessage(), failure, true);
        }
        return new Retry("transaction failed: " + failure, failure, false);
    }

    private void transact(List<ProducerRecord<byte[], byte[]>> outputs, Map<TopicPartition, OffsetAndMetadata> offsets,
                          ConsumerGroupMetadata group) {
        try {
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> output : outputs) {
                producer.send(output);
            }
            producer.sendOffsetsToTransaction(offsets, group);
            commitTransaction();
        } catch (InvalidConfigurationException | CommitOutcomeUnknown e) {
            throw e;
        } catch (ApplicationRecoverableException e) {
            log.error("{}: producer {} was fenced: another instance uses the same transactional id; give each"
                    + " instance its own BW_INSTANCE_ID", name, transactionalId);
            replaceProducer();
            throw e;
        } catch (KafkaException | IllegalStateException e) {
            abortQuietly();
            throw e;
        }
    }

    /**
     * Commits the open transaction. A commit that times out must be retried (Kafka will not abort it); if it has not
     * gone through within the retry time, or the loop is stopping, its outcome is unknown.
     */
    private void commitTransaction() {
        long deadline = nanoTime.getAsLong() + commitRetry.toNanos();
        while (true) {
            try {
                producer.commitTransaction();
                return;
            } catch (TimeoutException e) {
                if (!running.getAsBoolean() || nanoTime.getAsLong() - deadline > 0) {
                    replaceProducer();
                    throw new CommitOutcomeUnknown(e);
                }
                log.warn("{}: the commit timed out; retrying it: {}", name, e.toString());
            }
        }
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (KafkaException | IllegalStateException e) {
            log.warn("{}: abort failed ({}); starting a new producer", name, e.toString());
            replaceProducer();
        }
    }

    /**
     * Closes the producer and makes a new one with the same transactional id, which ends whatever the old one left
     * open. If that cannot be done now, the producer stays null and the next commit makes it.
     */
    private void replaceProducer() {
        Producer<byte[], byte[]> old = producer;
        producer = null;
        if (old != null) {
            closeQuietly(() -> old.close(Duration.ZERO));
        }
        try {
            producer = newProducer();
        } catch (InvalidConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            log.warn("{}: cannot make a new producer yet ({}); the next commit tries again", name, e.toString());
        }
    }

    private Producer<byte[], byte[]> newProducer() {
        Producer<byte[], byte[]> created = producers.get();
        try {
            created.initTransactions();
        } catch (RuntimeException e) {
            // Called again at each retry while Kafka is away: each failed attempt must not leave a network thread.
            created.close(Duration.ZERO);
            throw e;
        }
        return created;
    }

    /** Closes the producer, waiting for what it still has to send. */
    @Override
    public void close() {
        Producer<byte[], byte[]> last = producer;
        if (last != null) {
            closeQuietly(last::close);
        }
    }

    /** The error among {@code failure}'s causes that is about the records sent, or null. */
    static Throwable recordFault(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof RecordTooLargeException || cause instanceof RecordBatchTooLargeException
                    || cause instanceof InvalidRecordException || cause instanceof SerializationException
                    || cause instanceof InvalidTopicException) {
                return cause;
            }
        }
        return null;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.debug("close failed", e);
        }
    }

    /** A commit that neither went through nor failed in time: it may have committed. */
    private static final class CommitOutcomeUnknown extends RuntimeException {
        CommitOutcomeUnknown(Throwable cause) {
            super("the commit's outcome is unknown (" + cause + "); resuming from the group's committed offsets", cause);
        }
    }

    /** The pre-commit step failed: the batch is handled again, nothing was committed. */
    private static final class BeforeCommitFailed extends RuntimeException {
        BeforeCommitFailed(Exception cause) {
            super(cause);
        }
    }
}
