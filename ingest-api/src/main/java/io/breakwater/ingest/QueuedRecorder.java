package io.breakwater.ingest;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.concurrent.DaemonThreads;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.store.QuestionStore;

/**
 * The API's "queued" records, written in groups: the POSTs that arrive while one write is under way share the next,
 * a single bulk write, so the store pays one round trip per group instead of one per question. Each POST still waits
 * for its own record, so a GET right after the 202 finds it. Best effort, as each record is: the question is already
 * safe in Kafka, and the worker records it when it answers; a failed write is logged. Thread-safe.
 */
final class QueuedRecorder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueuedRecorder.class);
    private static final int MAX_GROUP = 500;
    /** Records that may wait to be written; past this (MongoDB slow or frozen), new ones are skipped, logged. */
    static final int MAX_PENDING = 10_000;

    private record Pending(QuestionStore.Queued queued, CompletableFuture<Void> written) {
    }

    private final QuestionStore store;
    private final Clock clock;
    private final LinkedBlockingQueue<Pending> pending = new LinkedBlockingQueue<>(MAX_PENDING);
    private final java.time.Duration maxWait;
    private final java.util.concurrent.atomic.AtomicLong skipped = new java.util.concurrent.atomic.AtomicLong();
    private final Thread writer;
    private volatile boolean running = true;

    QueuedRecorder(QuestionStore store, Clock clock) {
        this(store, clock, StoreCalls.DEFAULT_TIMEOUT);
    }

    /** @param maxWait how long a POST waits for its record at most: the question is safe in Kafka already */
    QueuedRecorder(QuestionStore store, Clock clock, java.time.Duration maxWait) {
        this.store = store;
        this.maxWait = maxWait;
        this.clock = clock;
        this.writer = DaemonThreads.named("bw-ingest-queued").newThread(this::run);
        this.writer.start();
    }

    /**
     * Completes once the question is recorded as queued, or once recording it failed (logged), or after the
     * {@code maxWait} at most; skips recording it if {@value #MAX_PENDING} records wait already.
     */
    CompletableFuture<Void> record(QuestionEvent question, String owner) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        if (!running) {
            written.complete(null);
            return written;
        }
        if (!pending.offer(new Pending(new QuestionStore.Queued(question, clock.instant(), owner), written))) {
            if (skipped.getAndIncrement() % 1_000 == 0) {
                log.warn("{} records of questions as queued wait already (MongoDB slow?): skipping some; each shows"
                        + " once a worker has it", MAX_PENDING);
            }
            written.complete(null);
            return written;
        }
        return written.completeOnTimeout(null, maxWait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        List<Pending> group = new ArrayList<>();
        while (running || !pending.isEmpty()) {
            try {
                Pending first = pending.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                pending.drainTo(group, MAX_GROUP - 1);
                write(group);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                group.forEach(each -> each.written().complete(null));
                group.clear();
            }
        }
        pending.forEach(each -> each.written().complete(null));
    }

    private void write(List<Pending> group) {
        try {
            store.recordQueued(group.stream().map(Pending::queued).toList());
        } catch (RuntimeException e) {
            log.warn("{} question(s) accepted but not recorded as queued (MongoDB: {}); each shows once answered",
                    group.size(), e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
