package io.breakwater.core.park;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, holding at most one second's worth, so a burst after a
 * quiet spell is bounded too; an infinite rate limits nothing. Not thread-safe: one loop thread asks it.
 */
public final class RateLimiter {

    private final double ratePerSecond;
    private final double capacity;
    private final LongSupplier nanoTime;
    private double tokens;
    private long lastRefillNanos;

    /** @param nanoTime the clock, {@code System::nanoTime} outside tests */
    public RateLimiter(double ratePerSecond, LongSupplier nanoTime) {
        this(ratePerSecond, Math.max(1, ratePerSecond), 1, nanoTime);
    }

    /**
     * A bucket that starts full.
     *
     * @param burst the most tokens it holds: requests that may come at once after a quiet spell
     */
    public static RateLimiter withBurst(double ratePerSecond, double burst, LongSupplier nanoTime) {
        return new RateLimiter(ratePerSecond, Math.max(1, burst), Math.max(1, burst), nanoTime);
    }

    private RateLimiter(double ratePerSecond, double capacity, double initialTokens, LongSupplier nanoTime) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be more than 0 per second but was " + ratePerSecond);
        }
        this.ratePerSecond = ratePerSecond;
        this.capacity = capacity;
        this.nanoTime = nanoTime;
        this.tokens = initialTokens;
        this.lastRefillNanos = nanoTime.getAsLong();
    }

    /** Takes a token and returns zero, or takes nothing and returns how long until one is there. */
    public Duration tryTake() {
        if (Double.isInfinite(ratePerSecond)) {
            return Duration.ZERO;
        }
        long now = nanoTime.getAsLong();
        tokens = Math.min(capacity, tokens + (now - lastRefillNanos) * ratePerSecond / 1e9);
        lastRefillNanos = now;
        if (tokens >= 1) {
            tokens -= 1;
            return Duration.ZERO;
        }
        return Duration.ofNanos((long) Math.ceil((1 - tokens) / ratePerSecond * 1e9));
    }
}
