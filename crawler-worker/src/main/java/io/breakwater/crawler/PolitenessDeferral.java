package io.breakwater.crawler;

/**
 * A host's next turn is too far away to wait for on a worker thread: its job is set aside until then. Not a
 * failure of the host, so it never counts against its breaker or the job's park limit.
 */
final class PolitenessDeferral extends RuntimeException {

    PolitenessDeferral(String message) {
        super(message, null, false, false);
    }
}
