package io.breakwater.core.health;

import java.time.Instant;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonValue;

import io.breakwater.core.event.WireNames;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * An operator's override of one breaker on every instance: the value on {@code breaker.control} (compacted), keyed
 * by breaker name.
 *
 * @param schemaVersion the schema's version, {@value #SCHEMA_VERSION}
 * @param breaker the breaker's name
 * @param mode {@code force_open}: every call refused; {@code disabled}: every call goes through, still counted;
 *     {@code auto}: the breaker decides again
 * @param by who set it ({@code user@host})
 * @param at when it was set
 * @param reason why, if the operator said
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record BreakerOverride(int schemaVersion, String breaker, Mode mode, String by, Instant at, String reason) {

    public static final int SCHEMA_VERSION = 1;

    public BreakerOverride {
        schemaVersion = schemaVersion == 0 ? SCHEMA_VERSION : schemaVersion;
        if (breaker == null || breaker.isBlank()) {
            throw new IllegalArgumentException("an override needs the 'breaker' it applies to");
        }
        Objects.requireNonNull(mode, "an override needs a 'mode': force_open, disabled or auto");
        Objects.requireNonNull(at, "an override needs 'at'");
    }

    public boolean isActive() {
        return mode != Mode.AUTO;
    }

    /** What an operator makes a breaker do. */
    public enum Mode {
        FORCE_OPEN, DISABLED, AUTO;

        @JsonValue
        public String json() {
            return WireNames.of(this);
        }

        @JsonCreator
        public static Mode of(String value) {
            return WireNames.parse(Mode.class, "mode", value);
        }
    }
}
