package io.breakwater.core.breaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.health.LatencyWindow;

/**
 * One breaker's figures since its instance started: calls by outcome, consecutive failures, when the last call
 * succeeded and failed, and the latency window; {@link CallListener}s (metrics) are told of each call as it ends.
 * Thread-safe without locks: counters are atomic and instants volatile, so a report may mix figures a call apart.
 */
final class CallStatistics {

    private static final Logger log = LoggerFactory.getLogger(BreakerPolicy.class);

    private final String name;
    private final Clock clock;
    private final LatencyWindow latency;
    private final List<CallListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong successful = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong consecutiveFailures = new AtomicLong();
    private volatile Instant lastSuccessAt;
    private volatile Instant lastFailureAt;

    /** @param latencyWindow how far back the latency histogram reaches, on {@code clock} */
    CallStatistics(String name, Duration latencyWindow, Clock clock) {
        this.name = name;
        this.clock = clock;
        this.latency = new LatencyWindow(latencyWindow);
    }

    void addListener(CallListener listener) {
        listeners.add(listener);
    }

    void removeListener(CallListener listener) {
        listeners.remove(listener);
    }

    /** A call the dependency answered; returns whether failures had been counted in a row before it. */
    boolean succeeded(long nanos) {
        finished("success", nanos);
        successful.incrementAndGet();
        lastSuccessAt = clock.instant();
        return consecutiveFailures.getAndSet(0) > 0;
    }

    /**
     * A call that failed or timed out.
     *
     * @param countsTowardsOpening false for a call still out when the breaker opened: it had decided without it
     * @return the failures now counted in a row
     */
    long failed(long nanos, boolean timeout, boolean countsTowardsOpening) {
        if (timeout) {
            timedOut.incrementAndGet();
        }
        finished(timeout ? "timeout" : "failure", nanos);
        failed.incrementAndGet();
        lastFailureAt = clock.instant();
        return countsTowardsOpening ? consecutiveFailures.incrementAndGet() : consecutiveFailures.get();
    }

    /** A call refused without reaching the dependency. */
    void rejected() {
        rejected.incrementAndGet();
    }

    long consecutiveFailures() {
        return consecutiveFailures.get();
    }

    /** The breaker closed: failures count afresh. */
    void clearConsecutiveFailures() {
        consecutiveFailures.set(0);
    }

    Instant lastSuccessAt() {
        return lastSuccessAt;
    }

    Instant lastFailureAt() {
        return lastFailureAt;
    }

    /** Every attempt that reached the dependency, and every one refused: successful + failed + rejected. */
    long total() {
        return successful.get() + failed.get() + rejected.get();
    }

    long successfulCalls() {
        return successful.get();
    }

    /** Failed and timed-out attempts together. */
    long failedCalls() {
        return failed.get();
    }

    long rejectedCalls() {
        return rejected.get();
    }

    /** See {@link BreakerPolicy#callsByOutcome}. */
    Map<String, Long> byOutcome() {
        long timeouts = timedOut.get();
        return Map.of("success", successful.get(), "failure", failed.get() - timeouts, "timeout", timeouts,
                "rejected", rejected.get());
    }

    Duration latencyWindow() {
        return latency.window();
    }

    /** The latency histogram of the window ending now, encoded for a report. */
    String encodedLatency() {
        return latency.encodedWindow(clock.instant());
    }

    private void finished(String outcome, long nanos) {
        latency.record(nanos);
        for (CallListener listener : listeners) {
            try {
                listener.finished(outcome, nanos);
            } catch (RuntimeException e) {
                // A listener's fault must not turn into the dependency's: the call's outcome stands.
                log.warn("Breaker {}: a call listener failed: {}", name, e.toString());
            }
        }
    }
}
