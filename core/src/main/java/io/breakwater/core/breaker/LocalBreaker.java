package io.breakwater.core.breaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.LongConsumer;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import dev.failsafe.function.CheckedSupplier;
import dev.failsafe.function.ContextualSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerState;

/**
 * This instance's own breaker: Failsafe's Retry (outermost) → Timeout (per attempt), with Failsafe's CircuitBreaker
 * consulted and told by hand around each attempt; the reason it last changed state; and the translation of what a
 * call threw into Breakwater's exceptions.
 *
 * <p>Every attempt takes a permit of the breaker and records its outcome, so its threshold counts calls that reached
 * the dependency, and a timed-out attempt counts as a failure; a rate limit's pause records nothing. Retries back off exponentially and stop at once when the breaker opens.
 * A {@link DependencyRejectedException} is neither retried nor counted as a failure. Failsafe's open delay runs on
 * its own clock (no injectable one), so tests that cross it configure a short delay. Thread-safe: Failsafe's
 * breaker is, and the reasons are volatile.
 */
final class LocalBreaker {

    private static final Logger log = LoggerFactory.getLogger(BreakerPolicy.class);

    private final BreakerSettings settings;
    private final CallStatistics statistics;
    private final CircuitBreaker<Object> breaker;
    private final FailsafeExecutor<Object> guarded;
    /** The same without retries: for a caller with somewhere else to go. */
    private final FailsafeExecutor<Object> guardedOnce;
    private volatile Instant openedAt;
    /** Why Failsafe's breaker last changed state; set before we change it ourselves. */
    private volatile BreakerCause cause = BreakerCause.HEALTHY;
    /** Why we open it ourselves, for the log, when not by counting failures. */
    private volatile String openedBecause;

    /** @param onChange told after every change of state (to report it) */
    LocalBreaker(BreakerSettings settings, Clock clock, CallStatistics statistics, Runnable onChange) {
        this.settings = settings;
        this.statistics = statistics;
        this.breaker = breaker(clock, onChange);
        RetryPolicy<Object> retry = RetryPolicy.builder()
                .handleIf((result, failure) -> countsAgainstBreaker(failure))
                .abortOn(CircuitBreakerOpenException.class)
                // A dependency that asks for a longer wait than our longest backoff is not retried here: the
                // caller parks the work with that wait as its not-before.
                .abortIf((result, failure) -> retryAfter(failure).filter(wait -> wait.compareTo(settings.retryMaxDelay()) > 0).isPresent())
                .withMaxRetries(settings.maxRetries())
                .withBackoff(settings.retryDelay(), settings.retryMaxDelay())
                .withDelayFnOn(context -> retryAfter(context.getLastException()).orElse(Duration.ofMillis(-1)),
                        DependencyUnavailableException.class)
                .build();
        Timeout<Object> timeout = Timeout.builder(settings.callTimeout()).withInterrupt().build();
        // The breaker is not a policy of the chain: each attempt takes its permit and records its outcome by hand
        // (measured), so that an outcome that is neither a success nor a failure (a rate limit's cooldown, an
        // abandoned call) records nothing, where Failsafe would count it a success.
        this.guarded = Failsafe.with(retry, timeout);
        this.guardedOnce = Failsafe.with(timeout);
    }

    private CircuitBreaker<Object> breaker(Clock clock, Runnable onChange) {
        String name = settings.name();
        // Outcomes are recorded by hand (recordSuccess, recordFailure): no failure classifier here.
        return CircuitBreaker.builder()
                .withFailureThreshold(settings.failureThreshold())
                .withSuccessThreshold(settings.successThreshold())
                .withDelay(settings.openDuration())
                .onOpen(event -> {
                    openedAt = clock.instant();
                    cause = event.getPreviousState() == CircuitBreaker.State.HALF_OPEN
                            ? BreakerCause.TRIAL_FAILED : BreakerCause.FAILURES;
                    String because = openedBecause;
                    openedBecause = null;
                    log.warn("Breaker {} opened {}; calls are refused for {} s", name,
                            because != null ? because : cause == BreakerCause.TRIAL_FAILED ? "again: a trial call failed"
                                    : "after " + statistics.consecutiveFailures() + " consecutive failures",
                            settings.openDuration().toMillis() / 1000.0);
                    onChange.run();
                })
                .onHalfOpen(event -> {
                    cause = BreakerCause.DELAY_ELAPSED;
                    log.info("Breaker {} half-open: letting trial calls through", name);
                    onChange.run();
                })
                .onClose(event -> {
                    if (cause != BreakerCause.CLUSTER_RECOVERED) {
                        cause = BreakerCause.TRIAL_SUCCEEDED;
                    }
                    statistics.clearConsecutiveFailures();
                    openedAt = null;
                    log.info("Breaker {} closed: {} is healthy again", name, name);
                    onChange.run();
                })
                .build();
    }

    /** Failsafe's breaker itself, for tests and tools. */
    CircuitBreaker<Object> circuitBreaker() {
        return breaker;
    }

    Effective.Local resolve(Instant now) {
        return switch (breaker.getState()) {
            case CLOSED -> new Effective.Local(BreakerState.CLOSED, cause == BreakerCause.CLUSTER_RECOVERED
                    || cause == BreakerCause.TRIAL_SUCCEEDED ? cause : BreakerCause.HEALTHY, null, Duration.ZERO);
            case HALF_OPEN -> new Effective.Local(BreakerState.HALF_OPEN, BreakerCause.DELAY_ELAPSED, null, Duration.ZERO);
            case OPEN -> {
                Duration remaining = breaker.getRemainingDelay();
                yield new Effective.Local(BreakerState.OPEN, cause, now.plus(remaining), remaining);
            }
        };
    }

    boolean isClosed() {
        return breaker.isClosed();
    }

    boolean isOpen() {
        return breaker.isOpen();
    }

    boolean isHalfOpen() {
        return breaker.isHalfOpen();
    }

    Duration remainingDelay() {
        return breaker.getRemainingDelay();
    }

    /** When it last opened, while open or half-open. */
    Instant openedAt() {
        return openedAt;
    }

    /** For a call made outside Failsafe's chain: whether it may go now (taking a trial permit if half-open). */
    boolean tryAcquirePermit() {
        return breaker.tryAcquirePermit();
    }

    void recordSuccess() {
        breaker.recordSuccess();
    }

    void recordFailure() {
        breaker.recordFailure();
    }

    /** Opens it on other evidence than its own calls; does nothing if it is open already. */
    void trip(String because) {
        if (breaker.isClosed()) {
            openedBecause = because;
            open(BreakerCause.FAILURES);
        }
    }

    /** Opens it, for {@code why} (failures counted across the fleet, or other evidence). */
    void open(BreakerCause why) {
        cause = why;
        breaker.open();
    }

    /**
     * A cooldown began: whatever closed the breaker before (a trial call) is not why it is closed when the cooldown
     * ends, which must not read as another successful trial.
     */
    void coolingBegan() {
        if (breaker.isClosed()) {
            cause = BreakerCause.HEALTHY;
        }
    }

    /** Closes it if open or half-open. */
    void untrip() {
        if (!breaker.isClosed()) {
            breaker.close();
        }
    }

    /** Closes it because another instance found the dependency healthy again. */
    void closeRecovered() {
        recovered();
        breaker.close();
    }

    /** Marks a closed breaker as closed by another instance's successful trial (a hold ended that way). */
    void recovered() {
        cause = BreakerCause.CLUSTER_RECOVERED;
    }

    /** Lets the next call through as a trial. */
    void halfOpen() {
        breaker.halfOpen();
    }

    /**
     * Makes the call through the chain, and tells how each attempt ended.
     *
     * @param throughBreaker false to skip the breaker (an operator disabled it): retries and timeout still apply
     * @param retrying false for one attempt only (its timeout still applies)
     * @param failed told of each failed attempt, with whether it timed out
     */
    <T> T run(CheckedSupplier<T> call, boolean throughBreaker, boolean retrying, LongConsumer succeeded,
              Failed failed) {
        try {
            return (retrying ? guarded : guardedOnce).get(measured(call, throughBreaker, succeeded, failed));
        } catch (CircuitBreakerOpenException e) {
            statistics.rejected();
            throw new BreakerOpenException(settings.name(), breaker.getRemainingDelay());
        } catch (TimeoutExceededException e) {
            throw new DependencyUnavailableException(settings.name() + " did not answer within "
                    + settings.callTimeout().toMillis() + " ms", e);
        } catch (DependencyUnavailableException | DependencyRejectedException e) {
            throw e;
        } catch (FailsafeException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new DependencyUnavailableException(settings.name() + " call failed: " + cause, cause);
        } catch (RuntimeException e) {
            throw new DependencyUnavailableException(settings.name() + " call failed: " + e, e);
        }
    }

    /** Told of a failed attempt: when it started ({@link System#nanoTime}), and whether it timed out. */
    @FunctionalInterface
    interface Failed {
        void failed(long startNanos, boolean timedOut);
    }

    private <T> ContextualSupplier<T, T> measured(CheckedSupplier<T> call, boolean throughBreaker,
                                                  LongConsumer succeeded, Failed failed) {
        return context -> {
            if (throughBreaker && !breaker.tryAcquirePermit()) {
                throw new CircuitBreakerOpenException(breaker);
            }
            long start = System.nanoTime();
            T result;
            try {
                result = call.get();
            } catch (DependencyRejectedException e) {
                // The dependency answered, and is healthy: the request was at fault.
                succeeded.accept(start);
                record(throughBreaker, true);
                throw e;
            } catch (DependencyCoolingException e) {
                // The dependency answered, asking for a pause: neither a success nor a failure.
                recordNothing(throughBreaker, "was rate limited");
                throw e;
            } catch (Throwable e) {
                long elapsed = System.nanoTime() - start;
                // Failsafe's timeout interrupts the call and cancels its execution; an interrupt from anywhere else
                // means the work was abandoned (a rebalance, a shutdown): not the dependency's doing, no verdict.
                // (Not told by the time taken: the timeout's clock starts a moment before this one.)
                boolean timedOut = context.isCancelled() || elapsed >= settings.callTimeout().toNanos();
                if (e instanceof InterruptedException && !timedOut) {
                    recordNothing(throughBreaker, "was abandoned");
                    throw e;
                }
                failed.failed(start, timedOut);
                record(throughBreaker, false);
                throw e;
            }
            if (context.isCancelled()) {
                // Answered after the timeout had given up on it: the caller sees a timeout, and so does the breaker.
                failed.failed(start, true);
                record(throughBreaker, false);
                return result;
            }
            // Told before the breaker records it, as when Failsafe's breaker recorded the attempt after it ended.
            succeeded.accept(start);
            record(throughBreaker, true);
            return result;
        };
    }

    private void record(boolean throughBreaker, boolean success) {
        if (!throughBreaker) {
            return;
        }
        if (success) {
            breaker.recordSuccess();
        } else {
            breaker.recordFailure();
        }
    }

    /**
     * An attempt that took a permit and ends with no verdict (a rate limit's pause, abandoned work). Closed, there is
     * nothing to give back. Half-open, its trial permit cannot be given back (Failsafe has no release, and half-opening
     * a half-open breaker does nothing), so a trial without a verdict counts as a failed trial: the breaker opens again
     * for its open time instead of refusing every call for good.
     */
    private void recordNothing(boolean throughBreaker, String why) {
        if (throughBreaker && breaker.isHalfOpen()) {
            openedBecause = "again: its trial call " + why;
            breaker.recordFailure();
        }
    }

    private static Optional<Duration> retryAfter(Throwable failure) {
        return failure instanceof DependencyUnavailableException unavailable ? unavailable.retryAfter() : Optional.empty();
    }

    /**
     * Whether an attempt's failure says the dependency is failing. A rejection of the request does not, nor does an
     * interrupt from outside (abandoned work); a timed-out attempt reaches the breaker as a timeout, which does.
     */
    private static boolean countsAgainstBreaker(Throwable failure) {
        return failure != null && !(failure instanceof DependencyRejectedException)
                && !(failure instanceof DependencyCoolingException)
                && !(failure instanceof CircuitBreakerOpenException) && !(failure instanceof InterruptedException);
    }
}
