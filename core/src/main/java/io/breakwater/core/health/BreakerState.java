package io.breakwater.core.health;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import io.breakwater.core.event.WireNames;

/** A breaker's state as operators see it: {@code closed}, {@code half_open} or {@code open}. */
public enum BreakerState {
    CLOSED, HALF_OPEN, OPEN;

    @JsonValue
    public String json() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static BreakerState of(String value) {
        return WireNames.parse(BreakerState.class, "state", value);
    }

    /** How bad it is, for folding instances together: open is worse than half-open, which is worse than closed. */
    public int severity() {
        return ordinal();
    }
}
