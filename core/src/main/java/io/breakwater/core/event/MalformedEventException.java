package io.breakwater.core.event;

/**
 * An event's bytes cannot be a valid event: not JSON, a field missing or of the wrong type, or a value out of range.
 * Permanent: retrying the same bytes fails the same way, so such input goes to a dead-letter topic.
 */
public final class MalformedEventException extends RuntimeException {

    public MalformedEventException(String message) {
        super(message);
    }

    public MalformedEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
