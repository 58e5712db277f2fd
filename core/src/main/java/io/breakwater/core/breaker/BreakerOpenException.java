package io.breakwater.core.breaker;

import java.time.Duration;

/**
 * A call was not made because its dependency's breaker is open. Thrown on every refused call, so it is cheap: no
 * stack trace (where it was thrown says nothing a caller needs; the breaker's name says everything), and its message
 * is written only when read.
 */
public final class BreakerOpenException extends RuntimeException {

    private final String breaker;
    private final transient Duration remainingOpen;
    private final String why;

    public BreakerOpenException(String breaker, Duration remainingOpen) {
        this(breaker, remainingOpen, "after repeated failures");
    }

    /** @param why why it is open, completing "breaker NAME is open ..." */
    public BreakerOpenException(String breaker, Duration remainingOpen, String why) {
        super(null, null, false, false);
        this.breaker = breaker;
        this.remainingOpen = remainingOpen;
        this.why = why;
    }

    @Override
    public String getMessage() {
        return "breaker " + breaker + " is open " + why + "; next trial call in "
                + Math.max(0, remainingOpen.toMillis()) + " ms";
    }

    public String breaker() {
        return breaker;
    }

    /** How long until the breaker lets a trial call through. */
    public Duration remainingOpen() {
        return remainingOpen;
    }
}
