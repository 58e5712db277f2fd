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
 * One instance's report on one breaker: the value on {@code breaker.events}, keyed by breaker name. Sent at once on
 * every transition and whenever its count of consecutive failures changes while closed (so the fleet can count
 * failures together), and as a
 * snapshot every few seconds. Each report carries the instance's whole current view, so the latest one from an
 * instance replaces whatever came before. Field names are snake_case, like {@code /health}.
 *
 * @param schemaVersion {@value #SCHEMA_VERSION}
 * @param kind why it was sent: {@code transition}, {@code failures} (the failure count changed) or {@code snapshot}
 * @param breaker the breaker's name, {@code llm_service}
 * @param instance the reporting instance ({@code BW_INSTANCE_ID}, by default the host name)
 * @param startedAt when that instance started: tells a restarted instance from its predecessor
 * @param at when the report was made
 * @param state the instance's state, overrides and cluster holds included
 * @param previousState the state before, on a transition
 * @param cause why it is in that state
 * @param failureCount failures counted towards opening (consecutive, as the seed's pybreaker counted)
 * @param failureThreshold failures that open it
 * @param openSeconds how long it stays open before a trial call
 * @param totalCalls attempts made or refused since the instance started: successful + failed + rejected
 * @param successfulCalls attempts the dependency answered (a retried call counts each attempt)
 * @param failedCalls attempts that failed or timed out
 * @param rejectedCalls attempts refused without reaching the dependency
 * @param lastSuccessAt the last successful call
 * @param lastFailureAt the last failed call
 * @param openedAt when it opened, while open or half-open
 * @param openUntil when it will let a trial call through, while open
 * @param latencyWindowSeconds the window of {@code latency}
 * @param latency call latencies (microseconds) of the last window: a compressed HdrHistogram, base64; snapshots only
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record BreakerEvent(int schemaVersion, Kind kind, String breaker, String instance, Instant startedAt, Instant at,
                           BreakerState state, BreakerState previousState, BreakerCause cause,
                           long failureCount, int failureThreshold, double openSeconds,
                           long totalCalls, long successfulCalls, long failedCalls, long rejectedCalls,
                           Instant lastSuccessAt, Instant lastFailureAt, Instant openedAt, Instant openUntil,
                           Long latencyWindowSeconds, String latency) {

    public static final int SCHEMA_VERSION = 1;

    public BreakerEvent {
        schemaVersion = schemaVersion == 0 ? SCHEMA_VERSION : schemaVersion;
        require(kind != null, "'kind' (transition, failures or snapshot)");
        require(breaker != null && !breaker.isBlank(), "'breaker', the breaker's name");
        require(instance != null && !instance.isBlank(), "'instance', the reporting instance");
        require(at != null, "'at', when it was reported");
        require(state != null, "'state' (closed, half_open or open)");
        require(failureCount >= 0 && totalCalls >= 0 && successfulCalls >= 0 && failedCalls >= 0 && rejectedCalls >= 0,
                "counts of zero or more");
        cause = cause == null ? BreakerCause.HEALTHY : cause;
        startedAt = startedAt == null ? at : startedAt;
    }

    /** Whether this instance found the dependency failing itself (not following another instance or an operator). */
    public boolean isTripped() {
        return state != BreakerState.CLOSED && cause.isOwnEvidence();
    }

    public BreakerEvent withoutLatency() {
        return new BreakerEvent(schemaVersion, kind, breaker, instance, startedAt, at, state, previousState, cause,
                failureCount, failureThreshold, openSeconds, totalCalls, successfulCalls, failedCalls, rejectedCalls,
                lastSuccessAt, lastFailureAt, openedAt, openUntil, null, null);
    }

    private static void require(boolean valid, String what) {
        if (!valid) {
            throw new IllegalArgumentException("a breaker event needs " + what);
        }
    }

    /** Why a report was sent. */
    public enum Kind {
        TRANSITION, FAILURES, SNAPSHOT;

        @JsonValue
        public String json() {
            return WireNames.of(this);
        }

        @JsonCreator
        public static Kind of(String value) {
            return WireNames.parse(Kind.class, "kind", value);
        }
    }

    /** Shorthand for checks: same instance and same incarnation of it. */
    public boolean isFrom(String instanceId, Instant instanceStartedAt) {
        return Objects.equals(instance, instanceId) && Objects.equals(startedAt, instanceStartedAt);
    }
}
