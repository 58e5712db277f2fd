package io.breakwater.core.limit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Bounds the calls in flight to one dependency by an {@link AdaptiveLimit}: a caller takes a {@link Permit} before
 * calling (waiting, in arrival order, while the limit is reached) and tells it how the call ended, which is what the
 * limit learns from. Thread-safe.
 * <p>
 * Arrival order is kept by a queue of waiters, to whom an ending call hands its permit directly, not by a fair lock:
 * with hundreds of calls in flight, a fair lock hands itself from thread to thread, each waiting to be scheduled,
 * and on two cores most of the worker's threads stood in that line instead of calling the dependency.
 */
public final class CallLimiter {

    /** Where the limit starts: a few calls, doubled each round trip until the dependency says it has enough. */
    public static final int INITIAL_LIMIT = 8;

    private final String name;
    private final AdaptiveLimit limit;
    private final LongSupplier nanoTime;
    private final ReentrantLock lock = new ReentrantLock();
    /** Callers waiting for a permit, longest first: a permit freed goes to them before anyone who comes later. */
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private int inFlight;
    /** The most calls in flight in this round trip and the one before: whether the limit is in use. */
    private int busiestThisRound;
    private int busiestLastRound;
    private long roundStartNanos;
    private long lastRttNanos;
    private long rateLimitedCalls;

    /**
     * @param name the dependency's breaker, for metrics and messages
     * @param ceiling the most calls in flight, whatever is learnt
     * @param nanoTime the clock, {@code System::nanoTime} outside tests
     */
    public CallLimiter(String name, int ceiling, LongSupplier nanoTime) {
        this.name = name;
        this.limit = new AdaptiveLimit(INITIAL_LIMIT, ceiling);
        this.nanoTime = nanoTime;
    }

    public String name() {
        return name;
    }

    /** Calls that may be in flight now. */
    public int limit() {
        lock.lock();
        try {
            return limit.limit();
        } finally {
            lock.unlock();
        }
    }

    public int ceiling() {
        return limit.ceiling();
    }

    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Calls the dependency refused as one too many, since the start. */
    public long rateLimitedCalls() {
        lock.lock();
        try {
            return rateLimitedCalls;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A permit to make one call, once fewer than the limit are in flight: at once, or after waiting at most
     * {@code maxWait}, in arrival order.
     *
     * @return empty if no call ended within {@code maxWait}: the dependency holds every call it has
     * @throws InterruptedException if interrupted while waiting
     */
    public Optional<Permit> acquire(Duration maxWait) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        long waitNanos = Math.max(0, maxWait.toNanos());
        Waiter waiter;
        lock.lock();
        try {
            if (waiters.isEmpty() && inFlight < limit.limit()) {
                return Optional.of(take());
            }
            if (waitNanos == 0) {
                return Optional.empty();
            }
            waiter = new Waiter(Thread.currentThread());
            waiters.addLast(waiter);
        } finally {
            lock.unlock();
        }
        return Optional.ofNullable(await(waiter, waitNanos));
    }

    /** Waits for {@code waiter}'s permit; null if none came within {@code waitNanos} (real time, whatever the clock). */
    private Permit await(Waiter waiter, long waitNanos) throws InterruptedException {
        long deadline = System.nanoTime() + waitNanos;
        boolean interrupted = false;
        while (waiter.permit == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.interrupted()) {
                interrupted = left > 0;
                break;
            }
            LockSupport.parkNanos(this, left);
        }
        lock.lock();
        try {
            if (waiter.permit == null) {
                waiters.remove(waiter);
                if (interrupted) {
                    throw new InterruptedException();
                }
                return null;
            }
        } finally {
            lock.unlock();
        }
        if (interrupted) {
            // The permit came as the caller was interrupted: it goes back unused.
            waiter.permit.ignored();
            throw new InterruptedException();
        }
        return waiter.permit;
    }

    /** A permit for one more call in flight; the lock is held. */
    private Permit take() {
        inFlight++;
        busiestThisRound = Math.max(busiestThisRound, inFlight);
        return new Permit(nanoTime.getAsLong(), inFlight);
    }

    /** Hands permits to the longest waiting callers while the limit allows; the lock is held. */
    private void handOut() {
        while (!waiters.isEmpty() && inFlight < limit.limit()) {
            Waiter waiter = waiters.removeFirst();
            waiter.permit = take();
            LockSupport.unpark(waiter.thread);
        }
    }

    private static final class Waiter {
        private final Thread thread;
        private volatile Permit permit;

        Waiter(Thread thread) {
            this.thread = thread;
        }
    }

    /** One call in flight: say once how it ended. */
    public final class Permit {

        private volatile long startNanos;
        private final int inFlightAtStart;
        private boolean ended;

        private Permit(long startNanos, int inFlightAtStart) {
            this.startNanos = startNanos;
            this.inFlightAtStart = inFlightAtStart;
        }

        /**
         * An attempt of the call starts now: its round trip is timed from here, so that a retry's backoff and the
         * attempts that failed before it do not pass for the dependency's latency.
         */
        public void attemptStarting() {
            startNanos = nanoTime.getAsLong();
        }

        /** It was answered: its round trip teaches the limit. */
        public void succeeded() {
            end(Outcome.SUCCEEDED);
        }

        /** The dependency refused it as one too many (a 429): the limit comes down. */
        public void rateLimited() {
            end(Outcome.RATE_LIMITED);
        }

        /** It outlasted its timeout: the limit comes down by half. */
        public void timedOut() {
            end(Outcome.TIMED_OUT);
        }

        /** It ended in a way that says nothing of the dependency's capacity (it failed, or was never made). */
        public void ignored() {
            end(Outcome.IGNORED);
        }

        private void end(Outcome outcome) {
            long now = nanoTime.getAsLong();
            lock.lock();
            try {
                if (ended) {
                    return;
                }
                ended = true;
                inFlight--;
                if (now - roundStartNanos >= lastRttNanos) {
                    busiestLastRound = busiestThisRound;
                    busiestThisRound = inFlight + 1;
                    roundStartNanos = now;
                }
                switch (outcome) {
                    case SUCCEEDED -> {
                        lastRttNanos = now - startNanos;
                        limit.succeeded(now - startNanos, inFlightAtStart,
                                Math.max(busiestLastRound, busiestThisRound), now);
                    }
                    case RATE_LIMITED -> {
                        rateLimitedCalls++;
                        limit.rateLimited(inFlightAtStart, now);
                    }
                    case TIMED_OUT -> limit.timedOut(inFlightAtStart, now);
                    case IGNORED -> { }
                }
                handOut();
            } finally {
                lock.unlock();
            }
        }
    }

    private enum Outcome { SUCCEEDED, RATE_LIMITED, TIMED_OUT, IGNORED }

    @Override
    public String toString() {
        return name + " limit " + limit() + " (" + inFlight() + " in flight)";
    }
}
