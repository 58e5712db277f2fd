package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.concurrent.DaemonThreads;
import io.breakwater.core.pipeline.TransactionalCommitter.Committed;
import io.breakwater.core.pipeline.TransactionalCommitter.Outcome;

/**
 * Commits one batch at a time on a thread of its own, through a {@link TransactionalCommitter}, while the loop goes
 * on fetching and handling the next: a batch's store write ({@link RecordHandler#beforeCommit}) and its transaction
 * overlap the next batch's work instead of stopping it. Tells the {@link LoopListener} what committed as soon as it
 * has, and runs {@code onDone} after every attempt, to wake the loop.
 *
 * <p>Submitted to, read and stopped by the loop's thread alone.
 */
final class CommitThread<R> {

    private static final Logger log = LoggerFactory.getLogger(CommitThread.class);

    /** A batch and what became of its commit. */
    record Finished<R>(InFlight.Batch<R> batch, Outcome outcome) {
    }

    private final String name;
    private final ExecutorService thread;
    private final TransactionalCommitter committer;
    private final RecordHandler<R> handler;
    private final LoopListener listener;
    private final Runnable onDone;
    private Future<Outcome> committing;
    private InFlight.Batch<R> committingBatch;

    CommitThread(String name, TransactionalCommitter committer, RecordHandler<R> handler, LoopListener listener,
                 Runnable onDone) {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(DaemonThreads.named("bw-" + name + "-commit"));
        this.committer = committer;
        this.handler = handler;
        this.listener = listener;
        this.onDone = onDone;
    }

    /** Whether a batch is being committed (or committed, and not yet taken). */
    boolean busy() {
        return committing != null;
    }

    /**
     * Starts committing {@code batch}: its outcomes are stored ({@link RecordHandler#beforeCommit}), then it commits in
     * one transaction with its offsets. Only when not {@link #busy}.
     *
     * @param group read by the caller on the consumer's thread, as the consumer requires
     */
    void submit(InFlight.Batch<R> batch, ConsumerGroupMetadata group) {
        committingBatch = batch;
        committing = thread.submit(() -> {
            try {
                Outcome outcome = committer.commit(batch.outputs(), batch.offsets(), group,
                        () -> handler.beforeCommit(batch.results()));
                if (outcome instanceof Committed committed) {
                    report(batch, committed.took());
                }
                return outcome;
            } finally {
                onDone.run();
            }
        });
    }

    /** The batch being committed and its outcome, once it is in (waiting for it if {@code wait}); else null. */
    Finished<R> take(boolean wait) {
        if (committing == null || (!wait && !committing.isDone())) {
            return null;
        }
        Outcome outcome;
        try {
            outcome = committing.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = TransactionalCommitter.outcomeOf(e);
        } catch (ExecutionException | CancellationException e) {
            outcome = TransactionalCommitter.outcomeOf(e);
        }
        Finished<R> finished = new Finished<>(committingBatch, outcome);
        committing = null;
        committingBatch = null;
        return finished;
    }

    /** Interrupts a commit under way, waits up to {@code grace} for the thread to end, and closes the producer. */
    void stop(Duration grace) {
        thread.shutdownNow();
        try {
            thread.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        committer.close();
    }

    private void report(InFlight.Batch<R> batch, Duration took) {
        Map<String, Long> outputsByTopic = new HashMap<>();
        batch.outputs().forEach(output -> outputsByTopic.merge(output.topic(), 1L, Long::sum));
        try {
            listener.committed(new LoopListener.CommittedBatch(batch.inputsByTopic(), outputsByTopic, took));
        } catch (RuntimeException e) {
            // Must not read as a failed commit: the batch is in, and handling it again would send it twice.
            log.warn("{}: the listener failed on a committed batch: {}", name, e.toString());
        }
    }
}
