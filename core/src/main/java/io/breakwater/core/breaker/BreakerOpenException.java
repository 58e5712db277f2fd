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
    private final boolean cooling;
    private final boolean rateLimited;

    public BreakerOpenException(String breaker, Duration remainingOpen) {
        this(breaker, remainingOpen, "after repeated failures");
    }

    /** @param why why it is open, completing "breaker NAME is open ..." */
    public BreakerOpenException(String breaker, Duration remainingOpen, String why) {
        this(breaker, remainingOpen, why, false, false);
    }

    private BreakerOpenException(String breaker, Duration remainingOpen, String why, boolean cooling,
                                 boolean rateLimited) {
        super(null, null, false, false);
        this.breaker = breaker;
        this.remainingOpen = remainingOpen;
        this.why = why;
        this.cooling = cooling;
        this.rateLimited = rateLimited;
    }

    /**
     * Refused because the dependency asked its callers to wait (a cooldown), not because it failed.
     *
     * @param rateLimited whether this very call was the one told to slow down (a 429), rather than refused before
     */
    public static BreakerOpenException cooling(String breaker, Duration remainingOpen, String why,
                                               boolean rateLimited) {
        return new BreakerOpenException(breaker, remainingOpen, why, true, rateLimited);
    }

    @Override
    public String getMessage() {
        // Saturated: a time read from outside may be centuries away, beyond what a long of milliseconds holds.
        long millis = remainingOpen.compareTo(Duration.ofMillis(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE
                : Math.max(0, remainingOpen.toMillis());
        return "breaker " + breaker + " is open " + why + "; next trial call in " + millis + " ms";
    }

    public String breaker() {
        return breaker;
    }

    /** Whether the dependency is cooling down (it asked callers to wait) rather than open after failures. */
    public boolean cooling() {
        return cooling;
    }

    /** Whether the call was made and the dependency told it to slow down (a 429): a sign of too many calls at once. */
    public boolean rateLimited() {
        return rateLimited;
    }

    /** How long until the breaker lets a trial call through. */
    public Duration remainingOpen() {
        return remainingOpen;
    }
}
