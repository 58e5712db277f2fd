package io.breakwater.core.limit;

import java.time.Duration;
import java.util.Optional;

/**
 * A call in a simulation of the limiter against a server, in simulated time: when it ends, with its permit, and
 * whether it was answered. Ordered by when it ends.
 */
record SimulatedCall(long at, CallLimiter.Permit permit, boolean answered) implements Comparable<SimulatedCall> {

    @Override
    public int compareTo(SimulatedCall other) {
        return Long.compare(at, other.at);
    }

    /** A permit if one is free now: a simulation never waits for one, it moves time on. */
    static Optional<CallLimiter.Permit> take(CallLimiter limiter) {
        try {
            return limiter.acquire(Duration.ZERO);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
