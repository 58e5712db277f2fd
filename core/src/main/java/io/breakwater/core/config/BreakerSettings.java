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
 */
public record BreakerSettings(String name, int failureThreshold, int successThreshold, Duration openDuration,
                              Duration callTimeout, int maxRetries, Duration retryDelay, Duration retryMaxDelay) {

    public BreakerSettings {
        Objects.requireNonNull(name, "name");
        requireAtLeast(name, "failures", failureThreshold, 1);
        requireAtLeast(name, "successes", successThreshold, 1);
        requireAtLeast(name, "retries", maxRetries, 0);
        requirePositive(name, "open.seconds", openDuration);
        requirePositive(name, "timeout.seconds", callTimeout);
        requirePositive(name, "retry.delay.seconds", retryDelay);
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
                settings.seconds(key(name, "retry.max.delay.seconds"), defaults.retryMaxDelay()));
    }

    /** The same figures for a breaker named {@code other}: another deployment of the same dependency. */
    public BreakerSettings named(String other) {
        return new BreakerSettings(other, failureThreshold, successThreshold, openDuration, callTimeout, maxRetries,
                retryDelay, retryMaxDelay);
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
