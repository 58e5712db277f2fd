package io.breakwater.ingest;

/**
 * Kafka did not acknowledge a record. {@link #maybeSent()} says which of two different things happened: false, the
 * record never left the API (breaker open, no metadata, the send refused): it is certainly not on the topic; true,
 * it was handed to the producer and then timed out or failed: it may be on the topic all the same.
 */
final class NotAcknowledgedException extends RuntimeException {

    private final boolean maybeSent;

    NotAcknowledgedException(boolean maybeSent, String message, Throwable cause) {
        super(message, cause);
        this.maybeSent = maybeSent;
    }

    boolean maybeSent() {
        return maybeSent;
    }

    /** Whether {@code error} (or its cause) is a failure after which the record may still be on the topic. */
    static boolean maybeSent(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof NotAcknowledgedException notAcknowledged) {
                return notAcknowledged.maybeSent();
            }
        }
        return true; // not known: say so
    }
}
