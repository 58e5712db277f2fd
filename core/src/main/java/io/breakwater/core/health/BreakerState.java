package io.breakwater.core.health;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A breaker's state as operators see it: {@code closed}, {@code half_open} or {@code open}. */
public enum BreakerState {
    CLOSED, HALF_OPEN, OPEN;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static BreakerState of(String value) {
        for (BreakerState state : values()) {
            if (state.json().equals(value)) {
                return state;
            }
        }
        throw new IllegalArgumentException("state must be closed, half_open or open, not '" + value + "'");
    }

    /** How bad it is, for folding instances together: open is worse than half-open, which is worse than closed. */
    public int severity() {
        return ordinal();
    }
}
