package io.breakwater.core.health;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import io.breakwater.core.event.WireNames;

/** Why an instance's breaker is in its state. */
public enum BreakerCause {
    /** Calls are flowing normally. */
    HEALTHY,
    /** Opened by failed calls: this instance's own, or the fleet's counted together. */
    FAILURES,
    /** Opened again because a half-open trial call failed. */
    TRIAL_FAILED,
    /** Half-open: the open time is over and a trial call decides. */
    DELAY_ELAPSED,
    /** Closed because a trial call succeeded. */
    TRIAL_SUCCEEDED,
    /** Held open because another instance opened its breaker for the same dependency. */
    CLUSTER,
    /** Closed because another instance's trial call found the dependency healthy again. */
    CLUSTER_RECOVERED,
    /** Forced open, or disabled, by an operator. */
    OPERATOR,
    /** Refusing calls for a while because the dependency asked callers to slow down (HTTP 429): not a failure. */
    COOLING;

    @JsonValue
    public String json() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static BreakerCause of(String value) {
        return WireNames.parse(BreakerCause.class, "cause", value);
    }

    /** Whether an instance in this state found the dependency failing itself, rather than following others. */
    public boolean isOwnEvidence() {
        // A pause the dependency asked of one instance holds the others too: a rate limit is the fleet's, not one
        // instance's, and every instance calling on would only earn more 429s.
        return this == FAILURES || this == TRIAL_FAILED || this == DELAY_ELAPSED || this == COOLING;
    }
}
