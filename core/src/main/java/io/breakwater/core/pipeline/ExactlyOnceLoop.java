package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.concurrent.DaemonThreads;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.kafka.RecordLimits;
import io.breakwater.core.metrics.PipelineMetrics;
import io.breakwater.core.time.OutsideTime;

/**
 * Consume → handle → produce, exactly once. Records are handled concurrently on worker threads; each finished
 * prefix of a partition commits in one Kafka transaction with its outputs and its input offsets
 * ({@code sendOffsetsToTransaction}), after {@link RecordHandler#beforeCommit}. One batch commits at a time, on a
 * committer thread of its own, while the loop goes on fetching and handling the next: the commit's store write and
 * transaction overlap the next batch's work instead of stopping it. Consumers downstream read
 * {@code read_committed}, so they see each output once, or not at all if the transaction aborted.
 *
 * <p>If anything on the way to a commit fails, the transaction aborts, the consumer rewinds to the first record not
 * committed, and those records are handled again after a backoff: nothing is lost, and nothing is committed twice.
 * A record whose handler throws goes to the dead-letter topic with the exception in its headers, together with the
 * handler's {@link RecordHandler#failed failed} outcome, and the partition moves on. So does a record whose outputs
 * do not fit their topics ({@link RecordLimits}, checked before sending), and one whose outputs make the transaction
 * fail for a reason that is about them (too large, invalid): after such a failure the loop commits one record per
 * transaction until it is past the batch, and the record that fails alone is dead-lettered; nothing one record holds
 * can stop a partition. Headers in Breakwater's namespace on records from outside (any input topic but the parked
 * one) are moved aside before anything reads them ({@link WorkHeaders#distrust}).
 *
 * <p>A commit that times out is retried, as Kafka requires; if it still has not finished after
 * {@link #COMMIT_RETRY}, its outcome is unknown: the producer is replaced (which ends the open transaction one way or
 * the other) and the loop resumes from the offsets the group has committed, so nothing is committed twice.
 *
 * <p>Fetched records wait in the loop until its {@link Admission} lets them be handled: up to its capacity at once,
 * each partition oldest first, a partition holding while its next record must wait. A partition with records
 * waiting is not fetched from, so memory stays bounded.
 *
 * <p>Runs on a thread of its own from {@link #start} until {@link #close}. Thread-safe to close from any thread.
 */
public final class ExactlyOnceLoop<R> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExactlyOnceLoop.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(100);
    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    /** How long a commit that times out is retried before its outcome counts as unknown. */
    static final Duration COMMIT_RETRY = Duration.ofMinutes(2);
    private static final Duration COMMITTED_READ_TIMEOUT = Duration.ofSeconds(30);

    private final LoopSettings settings;
    private final KafkaSettings kafka;
    private final RecordHandler<R> handler;
    private final Admission admission;
    private final Consumer<Throwable> onFailure;
    private final ExecutorService workers;
    /** Commits one batch at a time, while the loop goes on fetching and handling the next. */
    private final ExecutorService committer;
    private final Semaphore progress = new Semaphore(0);
    private final InFlight<R> inFlight = new InFlight<>();
    private final Waiting waiting = new Waiting();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final RecordLimits limits;
    private final Thread thread;
    /** Records whose outputs failed a transaction alone: handled again as dead letters (one per partition at most). */
    private final Map<TopicPartition, Poison> poison = new java.util.concurrent.ConcurrentHashMap<>();

    // Replaced by the committer when fenced, or null until it can be (re)made; closed by the loop when it stops.
    private volatile KafkaProducer<byte[], byte[]> producer;
    /** Records still to commit one per transaction, to find which one a failed transaction could not take. */
    private long isolating;
    /** A commit's outcome is unknown: resume from the group's committed offsets before fetching anything. */
    private boolean resync;
    private volatile boolean running = true;
    private volatile Throwable failure;
    private long lastCommitNanos = System.nanoTime();
    private Future<Throwable> committing;
    private InFlight.Batch<R> committingBatch;
    private long resumeAtNanos;
    private Duration backoff = MIN_BACKOFF;

    private ExactlyOnceLoop(LoopSettings settings, KafkaSettings kafka, RecordHandler<R> handler, Admission admission,
                            Consumer<Throwable> onFailure) {
        this.settings = settings;
        this.kafka = kafka;
        this.handler = handler;
        this.admission = admission;
        this.onFailure = onFailure;
        this.workers = Executors.newFixedThreadPool(settings.concurrency(), DaemonThreads.named("bw-" + settings.name() + "-worker"));
        this.committer = Executors.newSingleThreadExecutor(DaemonThreads.named("bw-" + settings.name() + "-commit"));
        Map<String, Object> consumerProps = KafkaClients.transactionalConsumer(kafka, settings.transactionalId(),
                settings.groupId());
        // Static membership: an instance restarted after a crash takes its partitions back at once, instead of
        // waiting for the group to notice that its old self is dead.
        consumerProps.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, settings.transactionalId());
        // A dead instance's partitions wait this long for a new owner; the default 45 s is long for a question.
        consumerProps.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.limits = RecordLimits.of(kafka, "bw-" + settings.name() + "-limits");
        try {
            this.producer = newProducer();
        } catch (RuntimeException e) {
            closeQuietly(consumer);
            closeQuietly(limits);
            throw e;
        }
        this.thread = DaemonThreads.named("bw-" + settings.name() + "-loop").newThread(this::run);
    }

    /**
     * Connects, takes over this instance's transactional id (aborting whatever a predecessor left open) and starts
     * consuming on a thread of its own.
     *
     * @param admission when fetched records may be handled
     * @param onFailure called once, on the loop's thread, if the loop stops on an error it cannot recover from
     * @throws KafkaException if Kafka cannot be reached or refuses the transactional id
     */
    public static <R> ExactlyOnceLoop<R> start(LoopSettings settings, KafkaSettings kafka, RecordHandler<R> handler,
                                               Admission admission, Consumer<Throwable> onFailure) {
        ExactlyOnceLoop<R> loop = new ExactlyOnceLoop<>(settings, kafka, handler, admission, onFailure);
        loop.thread.start();
        return loop;
    }

    public boolean isRunning() {
        return thread.isAlive();
    }

    /** The error that stopped the loop, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Stops consuming, waits a little for records in hand, commits what finished and leaves the group. What did not
     * finish is handled again by the partitions' next owner.
     */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(SHUTDOWN_GRACE.plusSeconds(20).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            consumer.subscribe(settings.inputTopics(), new Rebalance());
            while (running) {
                if (resync) {
                    resync();
                }
                poll();
                admit();
                awaitProgress();
                finishCommit(false);
                if (committing == null && (inFlight.allDone()
                        || System.nanoTime() - lastCommitNanos >= settings.commitInterval().toNanos())) {
                    startCommit(isolating > 0 ? inFlight.takeDone(1) : inFlight.takeDone());
                }
            }
            drain();
        } catch (WakeupException e) {
            drain();
        } catch (Throwable e) {
            failure = e;
            log.error("{} stopped: {}", settings.name(), e.toString(), e);
            inFlight.abandonAll();
            onFailure.accept(e);
        } finally {
            workers.shutdownNow();
            committer.shutdownNow();
            try {
                committer.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (producer != null) {
                closeQuietly(producer);
            }
            closeQuietly(limits);
            // A static member stays in its group after close unless told to leave: hand the partitions over now.
            closeQuietly(() -> consumer.close(CloseOptions.groupMembershipOperation(
                    CloseOptions.GroupMembershipOperation.LEAVE_GROUP)));
        }
    }

    /** Fetches more for the partitions that have nothing waiting, unless the loop is backing off. */
    private void poll() {
        Set<TopicPartition> assignment = consumer.assignment();
        Set<TopicPartition> hold = resync || System.nanoTime() < resumeAtNanos ? assignment : waiting.partitions();
        Set<TopicPartition> pause = new HashSet<>();
        Set<TopicPartition> resume = new HashSet<>(consumer.paused());
        for (TopicPartition partition : assignment) {
            if (hold.contains(partition)) {
                pause.add(partition);
                resume.remove(partition);
            }
        }
        consumer.pause(pause);
        consumer.resume(resume);
        ConsumerRecords<byte[], byte[]> records;
        try {
            records = consumer.poll(inFlight.isEmpty() && committing == null ? IDLE_POLL : Duration.ZERO);
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
            return;
        }
        if (!records.isEmpty()) {
            List<ConsumerRecord<byte[], byte[]>> fetched = new ArrayList<>(records.count());
            for (ConsumerRecord<byte[], byte[]> record : records) {
                if (!record.topic().equals(settings.parkedTopic())) {
                    WorkHeaders.distrust(record.headers());
                }
                fetched.add(record);
            }
            try {
                handler.prefetch(fetched);
            } catch (RuntimeException e) {
                log.debug("{}: prefetch failed; records are looked up one by one: {}", settings.name(), e.toString());
            }
            fetched.forEach(waiting::add);
        }
    }

    /** Hands waiting records to the workers, as far as the admission allows. */
    private void admit() {
        int capacity = admission.capacity();
        waiting.admit(admission, () -> capacity - inFlight.size(), record -> inFlight.add(
                new TopicPartition(record.topic(), record.partition()), record.offset(), workers.submit(() -> handle(record))),
                settings.inputTopics().equals(List.of(String.valueOf(settings.parkedTopic()))) ? this::requeue : null);
    }

    /**
     * Sends a held parked record to the end of its topic, unchanged, in the transaction that moves its offset on, so
     * that the records behind it need not wait for it. Only parked work is requeued: its order is not promised.
     */
    private void requeue(ConsumerRecord<byte[], byte[]> record) {
        ProducerRecord<byte[], byte[]> again = new ProducerRecord<>(record.topic(), null, record.key(), record.value(),
                record.headers());
        inFlight.add(new TopicPartition(record.topic(), record.partition()), record.offset(),
                java.util.concurrent.CompletableFuture.completedFuture(new InFlight.Done<R>(null, List.of(again))));
        progress.release();
    }

    private InFlight.Done<R> handle(ConsumerRecord<byte[], byte[]> record) {
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
            PipelineMetrics.handled(settings.name(), System.nanoTime() - start);
            progress.release();
        }
    }

    /**
     * The record dead-lettered with {@code reason}, and its handler's {@link RecordHandler#failed failed} outcome,
     * each output only if it fits its topic (the dead letter without its value, if that is what it takes).
     */
    private InFlight.Done<R> failed(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
        log.warn("{}: {}-{}@{} dead-lettered to {} ({}): {}", settings.name(), record.topic(), record.partition(),
                record.offset(), settings.deadLetterTopic(), reason, error.toString());
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        outputs.add(DeadLetters.fitting(DeadLetters.of(record, settings.deadLetterTopic(), reason, error), limits));
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
                                settings.name(), record.topic(), record.partition(), record.offset(), output.topic());
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("{}: no failed outcome for {}-{}@{}: {}", settings.name(), record.topic(), record.partition(),
                    record.offset(), e.toString());
        }
        return new FailedOutcome<>(result, outputs);
    }

    /**
     * For a record whose dead letter and failed outcome failed a transaction too: a bare dead letter (no value, only
     * the pipeline's headers) with the failed outcome, so that accepted work still ends.
     */
    private InFlight.Done<R> bareDeadLetter(ConsumerRecord<byte[], byte[]> record, Throwable error) {
        log.error("{}: {}-{}@{} fails every transaction; dead-lettering it without its value", settings.name(),
                record.topic(), record.partition(), record.offset());
        FailedOutcome<R> outcome = failedOutcome(record, DeadLetters.REASON_COMMIT_FAILED, error);
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        outputs.add(DeadLetters.bare(DeadLetters.of(record, settings.deadLetterTopic(), DeadLetters.REASON_COMMIT_FAILED,
                error)));
        outputs.addAll(outcome.outputs());
        return new InFlight.Done<>(outcome.result(), outputs);
    }

    /** When the bare dead letter failed too: the failed outcome alone, which is all accepted work needs to end. */
    private InFlight.Done<R> failedOutcomeOnly(ConsumerRecord<byte[], byte[]> record, Throwable error) {
        log.error("{}: {}-{}@{} fails even its bare dead letter; ending its work without one", settings.name(),
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
                + " (last error: {})", settings.name(), record.topic(), record.partition(), record.offset(),
                String.valueOf(error));
        PipelineMetrics.skipped(settings.name());
        return new InFlight.Done<>(null, List.of());
    }

    /** Waits briefly for a record to finish, so a finished record does not wait for the next poll. */
    private void awaitProgress() throws InterruptedException {
        if (inFlight.isEmpty() && committing == null) {
            return;
        }
        long untilCommit = settings.commitInterval().toNanos() - (System.nanoTime() - lastCommitNanos);
        progress.tryAcquire(Math.max(0, Math.min(MAX_WAIT_NANOS, untilCommit)), TimeUnit.NANOSECONDS);
        progress.drainPermits();
    }

    /** Commits what has finished and waits for it: for a rebalance and for stopping. */
    private void commitDone() {
        finishCommit(true);
        startCommit(inFlight.takeDone());
        finishCommit(true);
    }

    /**
     * Hands a batch to the committer: its outcomes are stored ({@link RecordHandler#beforeCommit}), then it commits
     * in one transaction with its offsets. The group's metadata is read here, on the loop's thread, as the consumer
     * requires.
     */
    private void startCommit(InFlight.Batch<R> batch) {
        if (batch.isEmpty()) {
            return;
        }
        ConsumerGroupMetadata group = consumer.groupMetadata();
        committingBatch = batch;
        committing = committer.submit(() -> {
            try {
                commit(batch, group);
                return null;
            } catch (Throwable e) {
                return e;
            } finally {
                progress.release();
            }
        });
    }

    /** Takes the result of the batch being committed, once it is in (or at once, waiting, if {@code wait}). */
    private void finishCommit(boolean wait) {
        if (committing == null || (!wait && !committing.isDone())) {
            return;
        }
        Throwable failure;
        try {
            failure = committing.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = e;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
            failure = e;
        }
        InFlight.Batch<R> batch = committingBatch;
        committing = null;
        committingBatch = null;
        if (failure == null) {
            lastCommitNanos = System.nanoTime();
            backoff = MIN_BACKOFF;
            long inputs = batch.inputsByTopic().values().stream().mapToLong(Long::longValue).sum();
            isolating = Math.max(0, isolating - inputs);
            batch.offsets().forEach((partition, next) -> poison.computeIfPresent(partition,
                    (p, known) -> known.offset() < next.offset() ? null : known));
            return;
        }
        Throwable aboutRecords = recordFault(failure);
        if (aboutRecords != null) {
            suspect(batch, aboutRecords);
        }
        if (failure instanceof InvalidConfigurationException fatal) {
            // Authorization, authentication, unsupported versions: retrying cannot help; an operator must act.
            throw fatal;
        } else if (failure instanceof BeforeCommitFailed stored) {
            retryLater(batch, "cannot finish a batch before its commit: " + stored.getCause());
        } else if (failure instanceof ApplicationRecoverableException) {
            retryLater(batch, "fenced: " + failure);
        } else if (failure instanceof CommitOutcomeUnknown) {
            resync = true;
            retryLater(batch, failure.getMessage());
        } else {
            retryLater(batch, "transaction failed: " + failure);
        }
    }

    /** On the committer's thread: store the batch's outcomes, then commit its outputs and offsets. */
    private void commit(InFlight.Batch<R> batch, ConsumerGroupMetadata group) {
        long start = System.nanoTime();
        if (producer == null) {
            // Lost with a fence or an unknown commit, and not yet made again: no transaction without it.
            producer = newProducer();
        }
        try {
            handler.beforeCommit(batch.results());
        } catch (Exception e) {
            throw new BeforeCommitFailed(e);
        }
        try {
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> output : batch.outputs()) {
                producer.send(output);
            }
            producer.sendOffsetsToTransaction(batch.offsets(), group);
            commitTransaction();
            countCommitted(batch, System.nanoTime() - start);
        } catch (InvalidConfigurationException | CommitOutcomeUnknown e) {
            throw e;
        } catch (ApplicationRecoverableException e) {
            log.error("{}: producer {} was fenced: another instance uses the same transactional id; give each"
                    + " instance its own BW_INSTANCE_ID", settings.name(), settings.transactionalId());
            replaceProducer();
            throw e;
        } catch (KafkaException | IllegalStateException e) {
            abortQuietly();
            throw e;
        }
    }

    /**
     * Commits the open transaction. A commit that times out must be retried (Kafka will not abort it); if it has not
     * gone through within {@link #COMMIT_RETRY}, or the loop is stopping, its outcome is unknown.
     */
    private void commitTransaction() {
        long deadline = System.nanoTime() + COMMIT_RETRY.toNanos();
        while (true) {
            try {
                producer.commitTransaction();
                return;
            } catch (TimeoutException e) {
                if (!running || System.nanoTime() - deadline > 0) {
                    replaceProducer();
                    throw new CommitOutcomeUnknown(e);
                }
                log.warn("{}: the commit timed out; retrying it: {}", settings.name(), e.toString());
            }
        }
    }

    /**
     * Closes the producer and makes a new one with the same transactional id, which ends whatever the old one left
     * open. If that cannot be done now, the producer stays null and the next commit makes it.
     */
    private void replaceProducer() {
        KafkaProducer<byte[], byte[]> old = producer;
        producer = null;
        if (old != null) {
            closeQuietly(() -> old.close(Duration.ZERO));
        }
        try {
            producer = newProducer();
        } catch (InvalidConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            log.warn("{}: cannot make a new producer yet ({}); the next commit tries again", settings.name(),
                    e.toString());
        }
    }

    /** A commit that neither went through nor failed in time: it may have committed. */
    private static final class CommitOutcomeUnknown extends RuntimeException {
        CommitOutcomeUnknown(Throwable cause) {
            super("the commit's outcome is unknown (" + cause + "); resuming from the group's committed offsets", cause);
        }
    }

    /** A record that failed a transaction alone: the next time it is handled, it is dead-lettered. */
    private record Poison(long offset, int failures, Throwable cause) {
    }

    /** The error in {@code failure}'s causes that is about the records sent, not about Kafka or the network. */
    private static Throwable recordFault(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof RecordTooLargeException || cause instanceof RecordBatchTooLargeException
                    || cause instanceof InvalidRecordException || cause instanceof SerializationException
                    || cause instanceof InvalidTopicException) {
                return cause;
            }
        }
        return null;
    }

    /**
     * A transaction failed because of what its records held. A batch of one names its culprit, which is
     * dead-lettered when handled again; a larger batch is committed again one record per transaction, to find it.
     */
    private void suspect(InFlight.Batch<R> batch, Throwable cause) {
        long inputs = batch.inputsByTopic().values().stream().mapToLong(Long::longValue).sum();
        if (inputs == 1) {
            Map.Entry<TopicPartition, Long> only = batch.firstOffsets().entrySet().iterator().next();
            poison.merge(only.getKey(), new Poison(only.getValue(), 1, cause), (known, fresh) ->
                    known.offset() == fresh.offset() ? new Poison(known.offset(), known.failures() + 1, cause) : fresh);
            log.warn("{}: {}-{} failed a transaction alone ({}); it is dead-lettered", settings.name(),
                    only.getKey(), only.getValue(), cause.toString());
        } else {
            isolating = Math.max(isolating, inputs + inFlight.size());
            log.warn("{}: a transaction of {} records failed ({}); committing them one at a time to find which",
                    settings.name(), inputs, cause.toString());
        }
    }

    /** After a commit whose outcome is unknown: resume every partition from the group's committed offset. */
    private void resync() {
        if (System.nanoTime() < resumeAtNanos) {
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
            resync = false;
            log.info("{}: resumed from the group's committed offsets after a commit of unknown outcome",
                    settings.name());
        } catch (InvalidConfigurationException e) {
            throw e;
        } catch (KafkaException e) {
            log.warn("{}: cannot read the committed offsets yet ({}); trying again in {} ms", settings.name(),
                    e.toString(), backoff.toMillis());
            resumeAtNanos = System.nanoTime() + backoff.toNanos();
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    /** The handler could not store a batch's outcomes: the batch is handled again, nothing was committed. */
    private static final class BeforeCommitFailed extends RuntimeException {
        BeforeCommitFailed(Exception cause) {
            super(cause);
        }
    }

    private void countCommitted(InFlight.Batch<R> batch, long nanos) {
        PipelineMetrics.committed(settings.name(), batch.inputsByTopic().values().stream().mapToLong(Long::longValue).sum(),
                nanos);
        batch.inputsByTopic().forEach((topic, count) -> {
            PipelineMetrics.processed(settings.name(), topic, count);
            if (topic.equals(settings.parkedTopic())) {
                PipelineMetrics.replayed(topic, count);
            }
        });
        Map<String, Long> outputsByTopic = new HashMap<>();
        batch.outputs().forEach(output -> outputsByTopic.merge(output.topic(), 1L, Long::sum));
        outputsByTopic.forEach((topic, count) -> {
            if (topic.equals(settings.deadLetterTopic())) {
                PipelineMetrics.deadLettered(topic, count);
            } else if (topic.equals(settings.parkedTopic())) {
                PipelineMetrics.parked(topic, count);
            }
        });
    }

    /** Forgets the batch and everything in hand, rewinds to the first record not committed, and pauses a while. */
    private void retryLater(InFlight.Batch<R> batch, String why) {
        Map<TopicPartition, Long> rewind = new HashMap<>(inFlight.firstOffsets());
        batch.firstOffsets().forEach((partition, offset) -> rewind.merge(partition, offset, Math::min));
        waiting.firstOffsets().forEach((partition, offset) -> rewind.merge(partition, offset, Math::min));
        inFlight.abandonAll();
        waiting.clear();
        for (Map.Entry<TopicPartition, Long> entry : rewind.entrySet()) {
            if (consumer.assignment().contains(entry.getKey())) {
                consumer.seek(entry.getKey(), entry.getValue());
            }
        }
        log.warn("{}: {}; handling {} partition(s) again from their last commit in {} ms", settings.name(), why,
                rewind.size(), backoff.toMillis());
        resumeAtNanos = OutsideTime.plusNanosSaturated(System.nanoTime(), backoff);
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }

    private void drain() {
        long deadline = System.nanoTime() + SHUTDOWN_GRACE.toNanos();
        try {
            while (!inFlight.allDone() && System.nanoTime() < deadline) {
                progress.tryAcquire(MAX_WAIT_NANOS, TimeUnit.NANOSECONDS);
            }
            commitDone();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (KafkaException e) {
            log.warn("{}: could not commit finished work while stopping; it will be handled again: {}",
                    settings.name(), e.toString());
        }
        inFlight.abandonAll();
    }

    /** Forgets what is waiting or in hand for partitions this loop no longer owns. */
    private void forget(Collection<TopicPartition> partitions) {
        inFlight.abandon(partitions);
        waiting.forget(partitions);
        partitions.forEach(poison::remove);
    }

    private KafkaProducer<byte[], byte[]> newProducer() {
        KafkaProducer<byte[], byte[]> created = new KafkaProducer<>(
                KafkaClients.transactionalProducer(kafka, settings.transactionalId(), settings.transactionalId()),
                new ByteArraySerializer(), new ByteArraySerializer());
        try {
            created.initTransactions();
        } catch (RuntimeException e) {
            // Called again at each retry while Kafka is away: each failed attempt must not leave a network thread.
            created.close(Duration.ZERO);
            throw e;
        }
        return created;
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (KafkaException | IllegalStateException e) {
            log.warn("{}: abort failed ({}); starting a new producer", settings.name(), e.toString());
            replaceProducer();
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.debug("close failed", e);
        }
    }

    /** Commits what finished before partitions move to another instance, and forgets the rest. */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                commitDone();
                forget(partitions);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }
    }
}
