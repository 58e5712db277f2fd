package io.breakwater.core.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import io.breakwater.core.breaker.BreakerFamilies;
import io.breakwater.core.breaker.BreakerFleet;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.CallListener;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.kafka.ConsumerLagReporter;
import io.breakwater.core.limit.CallLimiter;

/**
 * This process's metrics, in Prometheus's maintained 1.x client: the JVM's, and every breaker the process runs
 * ({@code breakwater_breaker_state}: 0 closed, 1 half-open, 2 open; {@code breakwater_breaker_calls_total} by
 * outcome; {@code breakwater_dependency_call_seconds}), labelled with breaker (and instance); a family of breakers
 * made per outside name ({@code crawler:<host>}) is summarised in a constant number of series (see
 * {@link BreakerFamilies}: counts by state in {@code breakwater_breakers}, its worst few by name, calls summed under
 * {@code crawler:*}), however many hosts are crawled. The pipeline's own
 * metrics ({@link PipelineMetrics}) and consumer lag ({@link ConsumerLagReporter}) register here too. Breakers join
 * with {@link #track} and leave with {@link #untrack} (a {@link BreakerFleet} does both through
 * {@link #fleetMembers}); their calls come in through a {@link CallListener} each, so the breakers know nothing of
 * metrics. Several services in one process (as under {@code breakwater up}) share the one registry. Thread-safe.
 */
public final class ProcessMetrics {

    private static final PrometheusRegistry REGISTRY = new PrometheusRegistry();
    /** The breakers followed, in the order they came (a later one with the same name and instance wins). */
    private static final Set<BreakerPolicy> BREAKERS = new CopyOnWriteArraySet<>();
    /** What each followed breaker tells of its calls. */
    private static final Map<BreakerPolicy, CallListener> CALL_LISTENERS = new ConcurrentHashMap<>();
    /** Follows the breakers of an instance's fleet as they join and leave. */
    private static final BreakerFleet.Members FLEET_MEMBERS = new BreakerFleet.Members() {
        @Override
        public void joined(BreakerPolicy breaker) {
            track(breaker);
        }

        @Override
        public void left(BreakerPolicy breaker) {
            untrack(breaker);
        }
    };
    /** Each dependency's adaptive limit of calls in flight, by breaker and instance. */
    private static final Map<List<String>, CallLimiter> LIMITERS = new ConcurrentHashMap<>();
    /** Seconds, from a fast cache hit to a slow LLM answer. */
    static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    private static final Histogram CALL_SECONDS;
    /** Seconds, coarser: a family's calls (page fetches of every host) in few series. */
    static final double[] FAMILY_LATENCY_BUCKETS = {0.25, 1, 5, 30};
    private static final Histogram FAMILY_CALL_SECONDS;

    /** Calls of family members that are gone (evicted), by family and outcome: the family's counters never go back. */
    private static final Map<String, Map<String, Long>> RETIRED_CALLS = new ConcurrentHashMap<>();

    static {
        JvmMetrics.builder().register(REGISTRY);
        GaugeWithCallback.builder().name("breakwater_breaker_state")
                .help("Each breaker's state as its instance sees it: 0 closed, 1 half-open, 2 open. A family of"
                        + " breakers (crawler:<host>) shows only its " + BreakerFamilies.WORST_SHOWN + " worst members;"
                        + " breakwater_breakers counts them all")
                .labelNames("breaker", "instance")
                .callback(callback -> shown().forEach((key, breaker) ->
                        callback.call(stateLevel(breaker.state()), key.get(0), key.get(1))))
                .register(REGISTRY);
        GaugeWithCallback.builder().name("breakwater_breakers")
                .help("How many breakers of each family (crawler: one per host) this process runs, by state")
                .labelNames("family", "state")
                .callback(callback -> families().forEach((family, members) ->
                        BreakerFamilies.countByState(members, BreakerPolicy::state).forEach((state, count) ->
                                callback.call(count, family, state.json()))))
                .register(REGISTRY);
        CounterWithCallback.builder().name("breakwater_breaker_calls")
                .help("Calls through each breaker since its instance started, by outcome: success, failure"
                        + " (the dependency failed), timeout (it did not answer in time), rejected (refused while open)."
                        + " A family's members are summed under one breaker label (crawler:*)")
                .labelNames("breaker", "instance", "outcome")
                .callback(callback -> calls().forEach((key, count) ->
                        callback.call(count, key.get(0), key.get(1), key.get(2))))
                .register(REGISTRY);
        CALL_SECONDS = Histogram.builder().name("breakwater_dependency_call_seconds")
                .help("How long each call through a breaker took to reach its outcome (success, failure, timeout):"
                        + " llm_service is the LLM's answer time, mongodb the store's; breaker families are in"
                        + " breakwater_family_call_seconds")
                .labelNames("breaker", "outcome")
                .classicOnly().classicUpperBounds(LATENCY_BUCKETS)
                .register(REGISTRY);
        FAMILY_CALL_SECONDS = Histogram.builder().name("breakwater_family_call_seconds")
                .help("How long each call through a member of a breaker family took (crawler: a page fetch, any host),"
                        + " in coarse buckets so that the family stays a few series")
                .labelNames("family", "outcome")
                .classicOnly().classicUpperBounds(FAMILY_LATENCY_BUCKETS)
                .register(REGISTRY);
        GaugeWithCallback.builder().name("breakwater_concurrency_limit")
                .help("How many calls each dependency with an adaptive limit (each LLM deployment) may have in flight"
                        + " from this instance now, as learnt from its latency and its 429s; at most BW_QA_CONCURRENCY")
                .labelNames("breaker", "instance")
                .callback(callback -> LIMITERS.forEach((key, limiter) ->
                        callback.call(limiter.limit(), key.get(0), key.get(1))))
                .register(REGISTRY);
        GaugeWithCallback.builder().name("breakwater_calls_in_flight")
                .help("Calls in flight now to each dependency with an adaptive limit, from this instance")
                .labelNames("breaker", "instance")
                .callback(callback -> LIMITERS.forEach((key, limiter) ->
                        callback.call(limiter.inFlight(), key.get(0), key.get(1))))
                .register(REGISTRY);
        CounterWithCallback.builder().name("breakwater_rate_limited_calls")
                .help("Calls each dependency with an adaptive limit refused as one too many (429) since the instance"
                        + " started: what the limit learns from, and what it keeps rare")
                .labelNames("breaker", "instance")
                .callback(callback -> LIMITERS.forEach((key, limiter) ->
                        callback.call(limiter.rateLimitedCalls(), key.get(0), key.get(1))))
                .register(REGISTRY);
        GaugeWithCallback.builder().name("breakwater_consumer_lag")
                .help("Records between each consumer's position and its partition's end, as of its last fetch:"
                        + " work waiting. Per consumer group, client, topic and partition")
                .labelNames("group", "client", "topic", "partition")
                .callback(callback -> ConsumerLagReporter.lags().forEach((key, lag) ->
                        callback.call(lag, key.get(0), key.get(1), key.get(2), key.get(3))))
                .register(REGISTRY);
    }

    private ProcessMetrics() {
    }

    public static PrometheusRegistry registry() {
        return REGISTRY;
    }

    /** What a {@link BreakerFleet} tells as its breakers join and leave: {@link #track} and {@link #untrack}. */
    public static BreakerFleet.Members fleetMembers() {
        return FLEET_MEMBERS;
    }

    /**
     * Shows {@code limiter}'s limit, calls in flight and refused calls for {@code instance}, until the returned
     * handle is closed.
     */
    public static AutoCloseable track(CallLimiter limiter, String instance) {
        List<String> key = List.of(limiter.name(), instance);
        LIMITERS.put(key, limiter);
        return () -> LIMITERS.remove(key, limiter);
    }

    /** Shows {@code breaker} in the metrics, and listens to its calls, until {@link #untrack}. */
    public static void track(BreakerPolicy breaker) {
        BREAKERS.add(breaker);
        CALL_LISTENERS.computeIfAbsent(breaker, ProcessMetrics::listenTo);
    }

    public static void untrack(BreakerPolicy breaker) {
        CallListener listener = CALL_LISTENERS.remove(breaker);
        if (listener != null) {
            breaker.removeCallListener(listener);
        }
        if (!BREAKERS.remove(breaker)) {
            return;
        }
        Optional<String> family = BreakerFamilies.family(breaker.name());
        if (family.isPresent()) {
            // The family's series stay: its counters keep what this member counted.
            Map<String, Long> retired = RETIRED_CALLS.computeIfAbsent(family.get() + "\n" + breaker.instanceId(),
                    ignored -> new ConcurrentHashMap<>());
            breaker.callsByOutcome().forEach((outcome, count) -> retired.merge(outcome, count, Long::sum));
            return;
        }
        for (String outcome : List.of("success", "failure", "timeout")) {
            CALL_SECONDS.remove(breaker.name(), outcome);
        }
    }

    private static CallListener listenTo(BreakerPolicy breaker) {
        Optional<String> family = BreakerFamilies.family(breaker.name());
        CallListener listener = family.isPresent()
                ? (outcome, nanos) -> FAMILY_CALL_SECONDS.labelValues(family.get(), outcome).observe(nanos / 1e9)
                : (outcome, nanos) -> CALL_SECONDS.labelValues(breaker.name(), outcome).observe(nanos / 1e9);
        breaker.onCall(listener);
        return listener;
    }

    /** The registry in Prometheus's text format, for a {@code /metrics} endpoint. */
    public static String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, REGISTRY.scrape(), EscapingScheme.ALLOW_UTF8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The content type of {@link #scrape}. */
    public static String contentType() {
        return PrometheusTextFormatWriter.create().getContentType();
    }

    /** One breaker per breaker name and instance (a later one replaces an earlier, as after a restart in tests). */
    private static Map<List<String>, BreakerPolicy> byKey() {
        Map<List<String>, BreakerPolicy> breakers = new LinkedHashMap<>();
        BREAKERS.forEach(breaker -> breakers.put(List.of(breaker.name(), breaker.instanceId()), breaker));
        return breakers;
    }

    /** The breakers shown one by one: every named breaker, and each family's worst few. */
    private static Map<List<String>, BreakerPolicy> shown() {
        Map<List<String>, BreakerPolicy> shown = new LinkedHashMap<>();
        byKey().forEach((key, breaker) -> {
            if (!BreakerFamilies.inFamily(breaker.name())) {
                shown.put(key, breaker);
            }
        });
        families().values().forEach(members -> BreakerFamilies.worst(members, BreakerPolicy::state,
                        member -> member.callsByOutcome().getOrDefault("failure", 0L), BreakerPolicy::name,
                        BreakerFamilies.WORST_SHOWN)
                .forEach(breaker -> shown.put(List.of(breaker.name(), breaker.instanceId()), breaker)));
        return shown;
    }

    /** The family members this process runs, by family. */
    private static Map<String, List<BreakerPolicy>> families() {
        Map<String, List<BreakerPolicy>> families = new TreeMap<>();
        byKey().values().forEach(breaker -> BreakerFamilies.family(breaker.name()).ifPresent(family ->
                families.computeIfAbsent(family, ignored -> new ArrayList<>()).add(breaker)));
        return families;
    }

    /** Calls by (breaker label, instance, outcome): a family's members, live and gone, summed under one label. */
    private static Map<List<String>, Long> calls() {
        Map<List<String>, Long> calls = new LinkedHashMap<>();
        byKey().forEach((key, breaker) -> breaker.callsByOutcome().forEach((outcome, count) ->
                calls.merge(List.of(label(key.get(0)), key.get(1), outcome), count, Long::sum)));
        RETIRED_CALLS.forEach((familyAndInstance, outcomes) -> {
            String[] parts = familyAndInstance.split("\n", 2);
            outcomes.forEach((outcome, count) -> calls.merge(
                    List.of(BreakerFamilies.aggregateLabel(parts[0]), parts[1], outcome), count, Long::sum));
        });
        return calls;
    }

    /** The breaker label of {@code name}: its own, or its family's ({@code crawler:*}). */
    private static String label(String name) {
        return BreakerFamilies.family(name).map(BreakerFamilies::aggregateLabel).orElse(name);
    }

    /** A breaker state as a gauge's value: 0 closed, 1 half-open, 2 open. */
    public static double stateLevel(BreakerState state) {
        return switch (state) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
        };
    }
}
