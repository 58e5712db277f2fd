package io.breakwater.core.breaker;

/**
 * Told of every call through a breaker that reached its dependency: how metrics follow the calls without the
 * breaker knowing about metrics (see {@link BreakerPolicy#onCall}). Called on the calling thread, after the call,
 * so it must be quick and thread-safe; an exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface CallListener {

    /**
     * @param outcome {@code success}, {@code failure} (the dependency failed) or {@code timeout} (it did not answer
     *     in time)
     * @param nanos how long the call took
     */
    void finished(String outcome, long nanos);
}
