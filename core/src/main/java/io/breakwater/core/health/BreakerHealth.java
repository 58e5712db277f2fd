package io.breakwater.core.health;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * One breaker's health across every instance that reports it: the value on {@code breaker.health} (compacted),
 * keyed by breaker name, written by the breaker-state app. Field names are snake_case, as on {@code /health}.
 *
 * <p>When instances disagree, the worst state wins: open on any instance shows as {@code open}, with the instances
 * in {@code open_instances}; else half-open on any shows as {@code half_open}. An operator's override wins over
 * both ({@code force_open} shows as open, {@code disabled} as closed, and {@code override} says so). An instance
 * open because the dependency asked callers to wait (a 429) rather than because it failed is cooling: it is in
 * {@code cooling_instances}, until {@code cooling_until}, and a breaker open only for that is {@link #isCooling}.
 *
 * @param state the fleet's state, as above
 * @param openInstances instances refusing calls (their own failures, following another instance, or forced)
 * @param halfOpenInstances instances letting trial calls through
 * @param instances every instance reporting, sorted
 * @param failureCount failures currently counted towards opening, summed over the instances
 * @param totalCalls calls made or refused since each instance started, summed
 * @param successRate successful calls out of calls that reached the dependency, in percent; null before any
 * @param lastSuccessAt the last successful call on any instance
 * @param lastFailureAt the last failed call on any instance
 * @param openedAt when the earliest open instance opened, while any is open or half-open
 * @param openUntil when the last open instance will try again, while any is open
 * @param recoveredAt the last time a trial call closed it on some instance
 * @param lastChangeAt the last transition on any instance
 * @param latency call latency over the last window, from the exact merge of every instance's histogram
 * @param override the operator's override, while one is active
 * @param byInstance each instance's latest report
 * @param updatedAt when this record was computed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record BreakerHealth(int schemaVersion, String breaker, BreakerState state, boolean isClosed, boolean isOpen,
                            List<String> openInstances, List<String> halfOpenInstances, List<String> instances,
                            long failureCount, int failureThreshold, long totalCalls, long successfulCalls,
                            long failedCalls, long rejectedCalls, Double successRate,
                            Instant lastSuccessAt, Instant lastFailureAt, Instant openedAt, Instant openUntil,
                            Instant recoveredAt, Instant lastChangeAt, Latency latency, BreakerOverride override,
                            Map<String, InstanceView> byInstance, Instant updatedAt) {

    public static final int SCHEMA_VERSION = 1;

    public BreakerHealth {
        schemaVersion = schemaVersion == 0 ? SCHEMA_VERSION : schemaVersion;
        Objects.requireNonNull(breaker, "breaker");
        Objects.requireNonNull(state, "state");
        openInstances = openInstances == null ? List.of() : List.copyOf(openInstances);
        halfOpenInstances = halfOpenInstances == null ? List.of() : List.copyOf(halfOpenInstances);
        instances = instances == null ? List.of() : List.copyOf(instances);
        byInstance = byInstance == null ? Map.of() : Map.copyOf(byInstance);
    }

    /** The instances cooling down (open because the dependency asked callers to wait, not failing), sorted. */
    @JsonProperty(access = JsonProperty.Access.READ_ONLY)
    public List<String> coolingInstances() {
        return byInstance.entrySet().stream().filter(entry -> entry.getValue().isCooling()).map(Map.Entry::getKey)
                .sorted().toList();
    }

    /** The latest deadline among the cooling instances: when calls resume by themselves; null if none cools. */
    @JsonProperty(access = JsonProperty.Access.READ_ONLY)
    public Instant coolingUntil() {
        return byInstance.values().stream().filter(InstanceView::isCooling).map(InstanceView::openUntil)
                .filter(Objects::nonNull).max(Instant::compareTo).orElse(null);
    }

    /**
     * Whether it is open only because the dependency asked callers to wait: every open instance is cooling, and no
     * operator forced it open. Calls resume by themselves at {@link #coolingUntil}.
     */
    public boolean isCooling() {
        if (state != BreakerState.OPEN || override != null || openInstances.isEmpty()) {
            return false;
        }
        List<String> cooling = coolingInstances();
        return cooling.containsAll(openInstances);
    }

    /**
     * One instance's latest report, as the fleet's record keeps it.
     *
     * @param startedAt when that instance started, telling a restarted instance from its predecessor
     * @param reportedAt when it last reported
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record InstanceView(BreakerState state, BreakerCause cause, long failureCount, long totalCalls,
                               Instant openedAt, Instant openUntil, Instant startedAt, Instant reportedAt) {

        /** Whether it is open because the dependency asked callers to wait (a 429), not because it failed. */
        public boolean isCooling() {
            return state == BreakerState.OPEN && cause == BreakerCause.COOLING;
        }

        /** Whether it found the dependency failing itself, rather than following another instance or an operator. */
        public boolean isTripped() {
            return state != BreakerState.CLOSED && cause != null && cause.isOwnEvidence();
        }
    }

    /**
     * Call latency percentiles in milliseconds.
     *
     * @param windowSeconds how far back the calls go
     * @param count calls measured
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Latency(long windowSeconds, long count, double p50Ms, double p90Ms, double p99Ms, double p999Ms,
                          double maxMs) {
    }
}
