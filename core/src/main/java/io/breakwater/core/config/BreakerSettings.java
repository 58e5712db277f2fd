package io.breakwater.core.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How one dependency is guarded: a per-attempt timeout, retries with exponential backoff for transient failures,
 * and a circuit breaker. Each figure is set by {@code breaker.<name>.<figure>}, for example
 * {@code BW_BREAKER_LLM_SERVICE_FAILURES} or {@code BW_BREAKER_LLM_SERVICE_OPEN_SECONDS}. Each dependency's defaults are
 * in {@link Dependencies}.
 *
 * @param name the breaker's name, as operators see it ({@code llm_service})
 * @param failureThreshold {@code failures}: consecutive failed calls that open the breaker
 * @param successThreshold {@code successes}: successful trial calls that close a half-open breaker
 * @param openDuration {@code open.seconds}: how long the breaker stays open before it lets a trial call through
 * @param callTimeout {@code timeout.seconds}: how long one attempt may take; a timeout counts as a failure
 * @param maxRetries {@code retries}: further attempts after a transient failure, while the breaker allows
 * @param retryDelay {@code retry.delay.seconds}: the first backoff, doubled on each retry
 * @param retryMaxDelay {@code retry.max.delay.seconds}: the longest backoff
 * @param slowCalls {@code slow.call.*}: calls slower than a threshold, which open the breaker when too many of the
 *                  last few are slow, although none failed; off unless {@code slow.call.seconds} is set
 */
public record BreakerSettings(String name, int failureThreshold, int successThreshold, Duration openDuration,
                              Duration callTimeout, int maxRetries, Duration retryDelay, Duration retryMaxDelay,
                              SlowCalls slowCalls) {

    /**
     * When slow calls open the breaker, as Resilience4j's slow-call rate does: of the last {@code window} calls (each
     * taking longer than {@code threshold}), at least {@code ratePercent} % were slow.
     *
     * @param threshold {@code slow.call.seconds}: a call that takes longer is slow; null: slow calls open nothing
     * @param ratePercent {@code slow.call.rate.percent} (default {@value #DEFAULT_RATE_PERCENT}): 1 to 100
     * @param window {@code slow.call.window} (default {@value #DEFAULT_WINDOW}): how many of the last calls are judged
     */
    public record SlowCalls(Duration threshold, int ratePercent, int window) {

        public static final int DEFAULT_RATE_PERCENT = 50;
        public static final int DEFAULT_WINDOW = 10;
        /** Slow calls open nothing. */
        public static final SlowCalls OFF = new SlowCalls(null, DEFAULT_RATE_PERCENT, DEFAULT_WINDOW);

        public boolean enabled() {
            return threshold != null;
        }
    }

    /** Without a slow-call threshold. */
    public BreakerSettings(String name, int failureThreshold, int successThreshold, Duration openDuration,
                           Duration callTimeout, int maxRetries, Duration retryDelay, Duration retryMaxDelay) {
        this(name, failureThreshold, successThreshold, openDuration, callTimeout, maxRetries, retryDelay, retryMaxDelay,
                SlowCalls.OFF);
    }

    public BreakerSettings {
        Objects.requireNonNull(name, "name");
        requireAtLeast(name, "failures", failureThreshold, 1);
        requireAtLeast(name, "successes", successThreshold, 1);
        requireAtLeast(name, "retries", maxRetries, 0);
        requirePositive(name, "open.seconds", openDuration);
        requirePositive(name, "timeout.seconds", callTimeout);
        requirePositive(name, "retry.delay.seconds", retryDelay);
        slowCalls = slowCalls == null ? SlowCalls.OFF : slowCalls;
        if (slowCalls.enabled()) {
            requirePositive(name, "slow.call.seconds", slowCalls.threshold());
            if (slowCalls.ratePercent() < 1 || slowCalls.ratePercent() > 100) {
                throw Settings.invalid(key(name, "slow.call.rate.percent"), slowCalls.ratePercent(), "1 to 100");
            }
            if (slowCalls.window() < 1 || slowCalls.window() > 1_000) {
                throw Settings.invalid(key(name, "slow.call.window"), slowCalls.window(), "1 to 1000");
            }
        }
        if (retryMaxDelay.compareTo(retryDelay) < 0) {
            throw Settings.invalid(key(name, "retry.max.delay.seconds"), retryMaxDelay.toMillis() / 1000.0,
                    "at least retry.delay.seconds (" + retryDelay.toMillis() / 1000.0 + ")");
        }
    }

    /** The settings of breaker {@code defaults.name()}: each figure from its setting, else from {@code defaults}. */
    public static BreakerSettings from(Settings settings, BreakerSettings defaults) {
        String name = defaults.name();
        return new BreakerSettings(name,
                settings.integer(key(name, "failures"), defaults.failureThreshold()),
                settings.integer(key(name, "successes"), defaults.successThreshold()),
                settings.seconds(key(name, "open.seconds"), defaults.openDuration()),
                settings.seconds(key(name, "timeout.seconds"), defaults.callTimeout()),
                settings.integer(key(name, "retries"), defaults.maxRetries()),
                settings.seconds(key(name, "retry.delay.seconds"), defaults.retryDelay()),
                settings.seconds(key(name, "retry.max.delay.seconds"), defaults.retryMaxDelay()),
                new SlowCalls(settings.seconds(key(name, "slow.call.seconds"), defaults.slowCalls().threshold()),
                        settings.integer(key(name, "slow.call.rate.percent"), defaults.slowCalls().ratePercent()),
                        settings.integer(key(name, "slow.call.window"), defaults.slowCalls().window())));
    }

    /** The same figures for a breaker named {@code other}: another deployment of the same dependency. */
    public BreakerSettings named(String other) {
        return new BreakerSettings(other, failureThreshold, successThreshold, openDuration, callTimeout, maxRetries,
                retryDelay, retryMaxDelay, slowCalls);
    }

    /** The longest one guarded call can take: every attempt timing out, with the longest backoff between them. */
    public Duration worstCaseCall() {
        return callTimeout.multipliedBy(maxRetries + 1L).plus(retryMaxDelay.multipliedBy(maxRetries));
    }

    private static String key(String name, String figure) {
        return "breaker." + name + "." + figure;
    }

    private static void requireAtLeast(String name, String figure, int value, int minimum) {
        if (value < minimum) {
            throw Settings.invalid(key(name, figure), value, "at least " + minimum);
        }
    }

    private static void requirePositive(String name, String figure, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw Settings.invalid(key(name, figure), value == null ? null : value.toMillis() / 1000.0,
                    "more than zero seconds");
        }
    }
}
