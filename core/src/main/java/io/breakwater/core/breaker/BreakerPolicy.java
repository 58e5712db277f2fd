package io.breakwater.core.breaker;

import java.time.Duration;
import java.util.Optional;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import dev.failsafe.function.CheckedSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.BreakerSettings;

/**
 * Calls one dependency through Failsafe: Retry (outermost) → CircuitBreaker → Timeout (per attempt).
 *
 * <p>Every attempt passes through the breaker, so its threshold counts calls that reached the dependency, and a
 * timed-out attempt counts as a failure. Retries back off exponentially and stop at once when the breaker opens.
 * A {@link DependencyRejectedException} is neither retried nor counted. Thread-safe: one instance per dependency,
 * shared by every thread that calls it.
 */
public final class BreakerPolicy {

    private static final Logger log = LoggerFactory.getLogger(BreakerPolicy.class);

    private final BreakerSettings settings;
    private final CircuitBreaker<Object> breaker;
    private final FailsafeExecutor<Object> executor;

    public BreakerPolicy(BreakerSettings settings) {
        this.settings = settings;
        String name = settings.name();
        this.breaker = CircuitBreaker.builder()
                .handleIf((result, failure) -> countsAgainstBreaker(failure))
                .withFailureThreshold(settings.failureThreshold())
                .withSuccessThreshold(settings.successThreshold())
                .withDelay(settings.openDuration())
                .onOpen(event -> log.warn("Breaker {} opened {}; calls are refused for {} s", name,
                        event.getPreviousState() == CircuitBreaker.State.HALF_OPEN ? "again: a trial call failed"
                                : "after " + settings.failureThreshold() + " consecutive failures",
                        settings.openDuration().toMillis() / 1000.0))
                .onHalfOpen(event -> log.info("Breaker {} half-open: letting trial calls through", name))
                .onClose(event -> log.info("Breaker {} closed: {} is healthy again", name, name))
                .build();
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
        this.executor = Failsafe.with(retry, breaker, timeout);
    }

    public String name() {
        return settings.name();
    }

    public BreakerSettings settings() {
        return settings;
    }

    /** The breaker itself, for reading its state. */
    public CircuitBreaker<Object> breaker() {
        return breaker;
    }

    /**
     * Makes the call, retrying transient failures while the breaker allows.
     *
     * @throws BreakerOpenException if the breaker is open (the call was not made, or retries stopped)
     * @throws DependencyUnavailableException if every attempt failed or timed out
     * @throws DependencyRejectedException if the dependency rejected the request as bad
     */
    public <T> T call(CheckedSupplier<T> call) {
        try {
            return executor.get(call);
        } catch (CircuitBreakerOpenException e) {
            throw new BreakerOpenException(name(), breaker.getRemainingDelay());
        } catch (TimeoutExceededException e) {
            throw new DependencyUnavailableException(name() + " did not answer within "
                    + settings.callTimeout().toMillis() + " ms", e);
        } catch (DependencyUnavailableException | DependencyRejectedException e) {
            throw e;
        } catch (FailsafeException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new DependencyUnavailableException(name() + " call failed: " + cause, cause);
        } catch (RuntimeException e) {
            throw new DependencyUnavailableException(name() + " call failed: " + e, e);
        }
    }

    private static Optional<Duration> retryAfter(Throwable failure) {
        return failure instanceof DependencyUnavailableException unavailable ? unavailable.retryAfter() : Optional.empty();
    }

    private static boolean countsAgainstBreaker(Throwable failure) {
        return failure != null && !(failure instanceof DependencyRejectedException)
                && !(failure instanceof CircuitBreakerOpenException);
    }
}
