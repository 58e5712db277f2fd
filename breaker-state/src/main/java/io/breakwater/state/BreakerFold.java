package io.breakwater.state;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

import org.HdrHistogram.Histogram;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.health.LatencyWindow;

/**
 * Everything the breaker-state app knows about one breaker: each reporting instance's latest report (and latest
 * latency histogram), the operator's override, and when a trial call last closed it. Immutable; each event makes
 * a new fold. Stored as JSON in the app's state store.
 *
 * @param instances the latest report of each instance, by instance id
 * @param override the operator's override, if any
 * @param recoveredAt the last time a trial call closed the breaker on some instance
 * @param lastChangeAt the last transition on any instance
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BreakerFold(String breaker, Map<String, Reporter> instances, BreakerOverride override,
                          Instant recoveredAt, Instant lastChangeAt) {

    public BreakerFold {
        instances = instances == null ? Map.of() : Map.copyOf(instances);
    }

    public static BreakerFold empty(String breaker) {
        return new BreakerFold(breaker, Map.of(), null, null, null);
    }

    /**
     * Folds in an instance's report, received at {@code receivedAt} (this app's clock, used for expiry: instances'
     * clocks may disagree with ours). A report older than the one kept for the same run of that instance is ignored.
     */
    public BreakerFold with(BreakerEvent event, Instant receivedAt) {
        Reporter known = instances.get(event.instance());
        if (known != null && known.latest().startedAt().equals(event.startedAt()) && event.at().isBefore(known.latest().at())) {
            return this;
        }
        String latency = event.latency() != null ? event.latency() : known == null ? null : known.latency();
        Long window = event.latency() != null ? event.latencyWindowSeconds() : known == null ? null : known.latencyWindowSeconds();
        Map<String, Reporter> next = new HashMap<>(instances);
        next.put(event.instance(), new Reporter(event.withoutLatency(), latency, window, receivedAt));
        boolean transition = event.kind() == BreakerEvent.Kind.TRANSITION;
        Instant recovered = transition && event.state() == BreakerState.CLOSED && event.cause() == BreakerCause.TRIAL_SUCCEEDED
                ? latest(recoveredAt, event.at()) : recoveredAt;
        return new BreakerFold(breaker, next, override, recovered, transition ? latest(lastChangeAt, event.at()) : lastChangeAt);
    }

    public BreakerFold with(BreakerOverride newOverride) {
        return new BreakerFold(breaker, instances, newOverride.isActive() ? newOverride : null, recoveredAt, lastChangeAt);
    }

    /** Without the instances not heard from since {@code cutoff}: they stopped, or cannot reach Kafka. */
    public BreakerFold withoutInstancesSilentSince(Instant cutoff) {
        Map<String, Reporter> live = new HashMap<>(instances);
        live.values().removeIf(reporter -> reporter.receivedAt().isBefore(cutoff));
        return live.size() == instances.size() ? this : new BreakerFold(breaker, live, override, recoveredAt, lastChangeAt);
    }

    /** The fleet's health, as written to {@code breaker.health}. */
    public BreakerHealth health(Instant now) {
        List<BreakerEvent> reports = instances.values().stream().map(Reporter::latest)
                .sorted(Comparator.comparing(BreakerEvent::instance)).toList();
        BreakerState worst = reports.stream().map(BreakerEvent::state)
                .max(Comparator.comparingInt(BreakerState::severity)).orElse(BreakerState.CLOSED);
        BreakerState state = override == null ? worst
                : override.mode() == BreakerOverride.Mode.FORCE_OPEN ? BreakerState.OPEN : BreakerState.CLOSED;
        long successful = sum(reports, BreakerEvent::successfulCalls);
        long failed = sum(reports, BreakerEvent::failedCalls);
        Map<String, BreakerHealth.InstanceView> byInstance = new TreeMap<>();
        reports.forEach(report -> byInstance.put(report.instance(), new BreakerHealth.InstanceView(report.state(),
                report.cause(), report.failureCount(), report.totalCalls(), report.openedAt(), report.openUntil(),
                report.startedAt(), report.at())));
        return new BreakerHealth(BreakerHealth.SCHEMA_VERSION, breaker, state, state == BreakerState.CLOSED,
                state == BreakerState.OPEN,
                instancesIn(reports, BreakerState.OPEN), instancesIn(reports, BreakerState.HALF_OPEN),
                reports.stream().map(BreakerEvent::instance).toList(),
                sum(reports, BreakerEvent::failureCount),
                reports.stream().mapToInt(BreakerEvent::failureThreshold).max().orElse(0),
                sum(reports, BreakerEvent::totalCalls), successful, failed, sum(reports, BreakerEvent::rejectedCalls),
                successRate(successful, failed),
                latestOf(reports, BreakerEvent::lastSuccessAt), latestOf(reports, BreakerEvent::lastFailureAt),
                reports.stream().filter(report -> report.state() != BreakerState.CLOSED).map(BreakerEvent::openedAt)
                        .filter(Objects::nonNull).min(Comparator.naturalOrder()).orElse(null),
                latestOf(reports.stream().filter(report -> report.state() == BreakerState.OPEN).toList(),
                        BreakerEvent::openUntil),
                recoveredAt, lastChangeAt, latency(), override, byInstance, now);
    }

    /**
     * Successful calls out of the calls that reached the dependency, in percent with one decimal; null before any.
     * Calls refused by an open breaker are not in it: they say nothing about the dependency.
     */
    static Double successRate(long successful, long failed) {
        long reached = successful + failed;
        if (reached == 0) {
            return null;
        }
        return BigDecimal.valueOf(successful * 100.0 / reached).setScale(1, RoundingMode.HALF_UP).doubleValue();
    }

    private BreakerHealth.Latency latency() {
        List<Reporter> measured = instances.values().stream().filter(reporter -> reporter.latency() != null).toList();
        if (measured.isEmpty()) {
            return null;
        }
        Histogram merged = LatencyWindow.merge(measured.stream().map(Reporter::latency).toList());
        long window = measured.stream().map(Reporter::latencyWindowSeconds).filter(Objects::nonNull)
                .mapToLong(Long::longValue).max().orElse(0);
        return new BreakerHealth.Latency(window, merged.getTotalCount(), millis(merged, 50), millis(merged, 90),
                millis(merged, 99), millis(merged, 99.9), merged.getTotalCount() == 0 ? 0 : merged.getMaxValue() / 1000.0);
    }

    private static double millis(Histogram histogram, double percentile) {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    private static List<String> instancesIn(List<BreakerEvent> reports, BreakerState state) {
        return reports.stream().filter(report -> report.state() == state).map(BreakerEvent::instance).toList();
    }

    private static long sum(List<BreakerEvent> reports, java.util.function.ToLongFunction<BreakerEvent> figure) {
        return reports.stream().mapToLong(figure).sum();
    }

    private static Instant latestOf(List<BreakerEvent> reports, Function<BreakerEvent, Instant> time) {
        return reports.stream().map(time).filter(Objects::nonNull).max(Comparator.naturalOrder()).orElse(null);
    }

    private static Instant latest(Instant a, Instant b) {
        return a == null || b.isAfter(a) ? b : a;
    }

    /**
     * One instance's latest report.
     *
     * @param latest the report, without its histogram
     * @param latency its latest latency histogram (from its last snapshot)
     * @param receivedAt when this app received it
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Reporter(BreakerEvent latest, String latency, Long latencyWindowSeconds, Instant receivedAt) {
    }
}
