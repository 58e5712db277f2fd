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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.concurrent.DaemonThreads;
import io.breakwater.core.concurrent.HandlerThreads;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.kafka.RecordLimits;
import io.breakwater.core.pipeline.TransactionalCommitter.Committed;
import io.breakwater.core.pipeline.TransactionalCommitter.Fatal;
import io.breakwater.core.pipeline.TransactionalCommitter.Retry;

/**
 * Consume → handle → produce, exactly once. Records are handled concurrently on worker threads; each finished
 * prefix of a partition commits in one Kafka transaction with its outputs and its input offsets
 * ({@code sendOffsetsToTransaction}), after {@link RecordHandler#beforeCommit}. One batch commits at a time, on a
 * committer thread of its own ({@link TransactionalCommitter}), while the loop goes on fetching and handling the
 * next: the commit's store write and transaction overlap the next batch's work instead of stopping it. Consumers
 * downstream read {@code read_committed}, so they see each output once, or not at all if the transaction aborted.
 *
 * <p>If anything on the way to a commit fails, the transaction aborts, the consumer rewinds to the first record not
 * committed ({@link Rewind}; to the group's committed offsets if the commit's outcome is unknown), and those records
 * are handled again after a backoff: nothing is lost, and nothing is committed twice. A record whose handler throws,
 * or whose outputs do not fit their topics, is dead-lettered with the handler's {@link RecordHandler#failed failed}
 * outcome, and the partition moves on ({@link Handling}). So is one whose outputs make the transaction fail for a
 * reason that is about them (too large, invalid): after such a failure the loop commits one record per transaction
 * until it is past the batch, and the record that fails alone is dead-lettered. Headers in Breakwater's namespace on
 * records from outside (any input topic but the parked one) are moved aside first ({@link WorkHeaders#distrust}).
 *
 * <p>Fetched records wait in the loop until its {@link Admission} lets them be handled: up to its capacity at once,
 * each partition oldest first, a partition holding while its next record must wait. A partition with records
 * waiting is not fetched from, so memory stays bounded.
 *
 * <p>What it handles and commits is counted in {@link io.breakwater.core.metrics.PipelineMetrics} through a
 * {@link LoopListener}. Runs on a thread of its own from {@link #start} until {@link #close}. Thread-safe to close
 * from any thread.
 */
public final class ExactlyOnceLoop<R> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExactlyOnceLoop.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(100);
    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private final LoopSettings settings;
    private final RecordHandler<R> handler;
    private final Admission admission;
    private final Consumer<Throwable> onFailure;
    private final ExecutorService workers;
    private final Semaphore progress = new Semaphore(0);
    /** Records handed to the workers and not yet handled. */
    private final AtomicInteger handlingNow = new AtomicInteger();
    private final InFlight<R> inFlight = new InFlight<>();
    private final Waiting waiting = new Waiting();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final RecordLimits limits;
    private final Handling<R> handling;
    private final Rewind rewind;
    private final CommitThread<R> commits;
    private final Thread thread;

    /** Records still to commit one per transaction, to find which one a failed transaction could not take. */
    private long isolating;
    private volatile boolean running = true;
    private volatile Throwable failure;
    private long lastCommitNanos = System.nanoTime();

    private ExactlyOnceLoop(LoopSettings settings, KafkaSettings kafka, RecordHandler<R> handler, Admission admission,
                            Consumer<Throwable> onFailure, LoopListener listener) {
        this.settings = settings;
        this.handler = handler;
        this.admission = admission;
        this.onFailure = onFailure;
        this.workers = HandlerThreads.pool("bw-" + settings.name() + "-worker", settings.concurrency());
        this.consumer = newConsumer(kafka, settings);
        this.limits = RecordLimits.of(kafka, "bw-" + settings.name() + "-limits");
        this.handling = new Handling<>(settings, handler, limits, listener, progress::release);
        this.rewind = new Rewind(settings.name(), consumer);
        String transactionalId = settings.transactionalId();
        try {
            TransactionalCommitter committer = new TransactionalCommitter(settings.name(), transactionalId,
                    () -> new KafkaProducer<>(KafkaClients.transactionalProducer(kafka, transactionalId, transactionalId),
                            new ByteArraySerializer(), new ByteArraySerializer()),
                    () -> running, TransactionalCommitter.DEFAULT_COMMIT_RETRY, System::nanoTime);
            this.commits = new CommitThread<>(settings.name(), committer, handler, listener, progress::release);
        } catch (RuntimeException e) {
            closeQuietly(consumer);
            closeQuietly(limits);
            throw e;
        }
        this.thread = DaemonThreads.named("bw-" + settings.name() + "-loop").newThread(this::run);
    }

    private static KafkaConsumer<byte[], byte[]> newConsumer(KafkaSettings kafka, LoopSettings settings) {
        Map<String, Object> props = KafkaClients.transactionalConsumer(kafka, settings.transactionalId(),
                settings.groupId());
        // Static membership: an instance restarted after a crash takes its partitions back at once, instead of
        // waiting for the group to notice that its old self is dead.
        props.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, settings.transactionalId());
        // A dead instance's partitions wait this long for a new owner; the default 45 s is long for a question.
        props.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
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
        ExactlyOnceLoop<R> loop = new ExactlyOnceLoop<>(settings, kafka, handler, admission, onFailure,
                LoopMetrics.of(settings));
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
                rewind.resumeFromGroup();
                poll();
                admit();
                awaitProgress();
                finishCommit(false);
                if (!commits.busy() && (inFlight.allDone()
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
            commits.stop(SHUTDOWN_GRACE);
            closeQuietly(limits);
            // A static member stays in its group after close unless told to leave: hand the partitions over now.
            closeQuietly(() -> consumer.close(CloseOptions.groupMembershipOperation(
                    CloseOptions.GroupMembershipOperation.LEAVE_GROUP)));
        }
    }

    /** Fetches more for the partitions that have nothing waiting, unless the loop is backing off. */
    private void poll() {
        Set<TopicPartition> assignment = consumer.assignment();
        Set<TopicPartition> hold = rewind.holding() ? assignment : waiting.partitions();
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
            records = consumer.poll(inFlight.isEmpty() && !commits.busy() ? IDLE_POLL : Duration.ZERO);
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

    /** Hands waiting records to the workers, as far as the admission and the handler allow. */
    private void admit() {
        int capacity = admission.capacity();
        int handlingLimit = Math.min(settings.concurrency(), handler.handlingLimit());
        waiting.admit(admission, () -> Math.min(capacity - inFlight.size(), handlingLimit - handlingNow.get()),
                this::handle, settings.inputTopics().equals(List.of(String.valueOf(settings.parkedTopic())))
                        ? this::requeue : null);
    }

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        // Counted down when the task is done, or cancelled before it ran (a rebalance abandons records in hand).
        FutureTask<InFlight.Done<R>> task = new FutureTask<>(() -> handling.handle(record)) {
            @Override
            protected void done() {
                handlingNow.decrementAndGet();
            }
        };
        handlingNow.incrementAndGet();
        inFlight.add(new TopicPartition(record.topic(), record.partition()), record.offset(), task);
        workers.execute(task);
    }

    /**
     * Sends a held parked record to the end of its topic, unchanged, in the transaction that moves its offset on, so
     * that the records behind it need not wait for it. Only parked work is requeued: its order is not promised.
     */
    private void requeue(ConsumerRecord<byte[], byte[]> record) {
        ProducerRecord<byte[], byte[]> again = new ProducerRecord<>(record.topic(), null, record.key(), record.value(),
                record.headers());
        inFlight.add(new TopicPartition(record.topic(), record.partition()), record.offset(),
                CompletableFuture.completedFuture(new InFlight.Done<R>(null, List.of(again))));
        progress.release();
    }

    /** Waits briefly for a record to finish, so a finished record does not wait for the next poll. */
    private void awaitProgress() throws InterruptedException {
        if (inFlight.isEmpty() && !commits.busy()) {
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

    /** Hands a batch to the commit thread; the group's metadata is read here, on the consumer's thread. */
    private void startCommit(InFlight.Batch<R> batch) {
        if (!batch.isEmpty()) {
            commits.submit(batch, consumer.groupMetadata());
        }
    }

    /** Takes the outcome of the batch being committed, once it is in (or at once, waiting, if {@code wait}). */
    private void finishCommit(boolean wait) {
        CommitThread.Finished<R> finished = commits.take(wait);
        if (finished == null) {
            return;
        }
        InFlight.Batch<R> batch = finished.batch();
        if (finished.outcome() instanceof Committed) {
            lastCommitNanos = System.nanoTime();
            rewind.committed();
            isolating = Math.max(0, isolating - batch.inputs());
            handling.committed(batch.offsets());
        } else if (finished.outcome() instanceof Fatal fatal) {
            suspect(batch, TransactionalCommitter.recordFault(fatal.failure()));
            throw fatal.failure();
        } else {
            Retry retry = (Retry) finished.outcome();
            suspect(batch, retry.recordFault());
            if (retry.outcomeUnknown()) {
                rewind.fromGroup();
            }
            retryLater(batch, retry.why());
        }
    }

    /**
     * A transaction failed because of what its records held ({@code cause}, if not null). A batch of one names its
     * culprit, which is dead-lettered when handled again; a larger batch is committed again one record per
     * transaction, to find it.
     */
    private void suspect(InFlight.Batch<R> batch, Throwable cause) {
        if (cause == null) {
            return;
        }
        long inputs = batch.inputs();
        if (inputs == 1) {
            Map.Entry<TopicPartition, Long> only = batch.firstOffsets().entrySet().iterator().next();
            handling.failedAlone(only.getKey(), only.getValue(), cause);
        } else {
            isolating = Math.max(isolating, inputs + inFlight.size());
            log.warn("{}: a transaction of {} records failed ({}); committing them one at a time to find which",
                    settings.name(), inputs, cause.toString());
        }
    }

    /** Forgets the batch and everything in hand, rewinds to the first record not committed, and pauses a while. */
    private void retryLater(InFlight.Batch<R> batch, String why) {
        Map<TopicPartition, Long> firstOffsets = new HashMap<>(inFlight.firstOffsets());
        batch.firstOffsets().forEach((partition, offset) -> firstOffsets.merge(partition, offset, Math::min));
        waiting.firstOffsets().forEach((partition, offset) -> firstOffsets.merge(partition, offset, Math::min));
        inFlight.abandonAll();
        waiting.clear();
        rewind.rewind(firstOffsets, why);
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
        handling.forget(partitions);
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
