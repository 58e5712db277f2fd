package io.breakwater.core.breaker;

import java.time.Duration;

/** A call was not made because its dependency's breaker is open. */
public final class BreakerOpenException extends RuntimeException {

    private final String breaker;
    private final transient Duration remainingOpen;

    public BreakerOpenException(String breaker, Duration remainingOpen) {
        this(breaker, remainingOpen, "after repeated failures");
    }

    /** @param why why it is open, completing "breaker NAME is open ..." */
    public BreakerOpenException(String breaker, Duration remainingOpen, String why) {
        super("breaker " + breaker + " is open " + why + "; next trial call in "
                + Math.max(0, remainingOpen.toMillis()) + " ms");
        this.breaker = breaker;
        this.remainingOpen = remainingOpen;
    }

    public String breaker() {
        return breaker;
    }

    /** How long until the breaker lets a trial call through. */
    public Duration remainingOpen() {
        return remainingOpen;
    }
}
