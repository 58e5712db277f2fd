package io.breakwater.core.breaker;

import io.breakwater.core.config.BreakerSettings;

/**
 * The last few calls, each slow or not, judged as Resilience4j's slow-call rate is: once the window is full and at
 * least the configured share of it was slow, the dependency is too slow to keep calling, though no call failed. The
 * window starts empty again after each verdict, so one slow spell opens the breaker once. Thread-safe.
 */
final class SlowCallWindow {

    private final BreakerSettings.SlowCalls figures;
    private final long thresholdNanos;
    private final boolean[] slow;
    private int next;
    private int filled;
    private int slowCount;

    SlowCallWindow(BreakerSettings.SlowCalls figures) {
        this.figures = figures;
        this.thresholdNanos = figures.enabled() ? figures.threshold().toNanos() : Long.MAX_VALUE;
        this.slow = new boolean[figures.enabled() ? figures.window() : 0];
    }

    /** Whether slow calls open anything: with no threshold, calls need not be recorded at all. */
    boolean enabled() {
        return figures.enabled();
    }

    /**
     * Records a call that took {@code nanos}.
     *
     * @return whether the window is now slow enough to open the breaker (then it starts empty again)
     */
    synchronized boolean tooSlowAfter(long nanos) {
        if (!figures.enabled()) {
            return false;
        }
        boolean isSlow = nanos > thresholdNanos;
        if (filled == slow.length) {
            slowCount -= slow[next] ? 1 : 0;
        } else {
            filled++;
        }
        slow[next] = isSlow;
        slowCount += isSlow ? 1 : 0;
        next = (next + 1) % slow.length;
        if (filled == slow.length && slowCount * 100L >= (long) figures.ratePercent() * slow.length) {
            java.util.Arrays.fill(slow, false);
            filled = 0;
            slowCount = 0;
            next = 0;
            return true;
        }
        return false;
    }

    /** How the last verdict reads in the log. */
    String describe() {
        return "because at least " + figures.ratePercent() + " % of the last " + figures.window()
                + " calls took longer than " + figures.threshold().toMillis() / 1000.0 + " s";
    }
}
