package io.breakwater.core.breaker;

/**
 * A dependency answered that the request itself is bad (a 4xx other than 408 or 429). Not the dependency's fault:
 * never retried, never counted against its breaker; the work that made the request fails with this reason.
 */
public class DependencyRejectedException extends RuntimeException {

    public DependencyRejectedException(String message) {
        super(message);
    }
}
