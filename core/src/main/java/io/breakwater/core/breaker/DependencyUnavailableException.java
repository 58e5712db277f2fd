package io.breakwater.core.breaker;

import java.time.Duration;
import java.util.Optional;

/**
 * A dependency failed for a reason that may pass: a timeout, a refused connection, a 5xx or 429, a garbled reply.
 * Retried with backoff, and counted against the dependency's breaker.
 */
public class DependencyUnavailableException extends RuntimeException {

    private final transient Duration retryAfter;

    public DependencyUnavailableException(String message) {
        this(message, null, null);
    }

    public DependencyUnavailableException(String message, Throwable cause) {
        this(message, null, cause);
    }

    /** @param retryAfter how long the dependency asked us to wait (a {@code Retry-After}), or null */
    public DependencyUnavailableException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryAfter = retryAfter;
    }

    /** How long the dependency asked callers to wait before trying again, if it said. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
