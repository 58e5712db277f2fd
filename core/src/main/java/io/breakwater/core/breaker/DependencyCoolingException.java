package io.breakwater.core.breaker;

import java.time.Duration;
import java.util.Objects;

/**
 * The dependency asked its callers to slow down (HTTP 429, or a 503 that says when to come back): it is not failing.
 * The breaker does not count it towards opening; it cools the dependency down until the time asked for, refusing
 * calls meanwhile, and calls resume by themselves when it ends. Work refused while cooling waits, and is never
 * failed or dead-lettered for it.
 */
public class DependencyCoolingException extends DependencyUnavailableException {

    private static final long serialVersionUID = 1L;

    /** @param coolFor how long the dependency asked callers to wait; never null */
    public DependencyCoolingException(String message, Duration coolFor) {
        super(message, Objects.requireNonNull(coolFor, "coolFor"), null);
    }

    /** How long the dependency asked callers to wait. */
    public Duration coolFor() {
        return retryAfter().orElseThrow();
    }
}
