package io.breakwater.core.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.BreakerState;

/**
 * This process's metrics, in Prometheus's maintained 1.x client: the JVM's, and every breaker the process runs
 * ({@code breakwater_breaker_state}: 0 closed, 1 half-open, 2 open; {@code breakwater_breaker_calls_total} by
 * outcome; {@code breakwater_dependency_call_seconds}), labelled with breaker (and instance). The pipeline's own
 * metrics ({@link PipelineMetrics}) and consumer lag ({@link ConsumerLagReporter}) register here too. Breakers join with {@link #track} and leave with {@link #untrack};
 * several services in one process (as under {@code breakwater up}) share the one registry. Thread-safe.
 */
public final class ProcessMetrics {

    private static final PrometheusRegistry REGISTRY = new PrometheusRegistry();
    private static final Set<BreakerPolicy> BREAKERS = new CopyOnWriteArraySet<>();
    /** Seconds, from a fast cache hit to a slow LLM answer. */
    static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    private static final Histogram CALL_SECONDS;

    static {
        JvmMetrics.builder().register(REGISTRY);
        GaugeWithCallback.builder().name("breakwater_breaker_state")
                .help("Each breaker's state as its instance sees it: 0 closed, 1 half-open, 2 open")
                .labelNames("breaker", "instance")
                .callback(callback -> byKey().forEach((key, breaker) ->
                        callback.call(stateLevel(breaker.state()), key.get(0), key.get(1))))
                .register(REGISTRY);
        CounterWithCallback.builder().name("breakwater_breaker_calls")
                .help("Calls through each breaker since its instance started, by outcome: success, failure"
                        + " (the dependency failed), timeout (it did not answer in time), rejected (refused while open)")
                .labelNames("breaker", "instance", "outcome")
                .callback(callback -> byKey().forEach((key, breaker) -> breaker.callsByOutcome().forEach(
                        (outcome, count) -> callback.call(count, key.get(0), key.get(1), outcome))))
                .register(REGISTRY);
        CALL_SECONDS = Histogram.builder().name("breakwater_dependency_call_seconds")
                .help("How long each call through a breaker took to reach its outcome (success, failure, timeout):"
                        + " llm_service is the LLM's answer time, mongodb the store's, crawler:<host> a page fetch")
                .labelNames("breaker", "outcome")
                .classicOnly().classicUpperBounds(LATENCY_BUCKETS)
                .register(REGISTRY);
    }

    private ProcessMetrics() {
    }

    public static PrometheusRegistry registry() {
        return REGISTRY;
    }

    public static void track(BreakerPolicy breaker) {
        BREAKERS.add(breaker);
        breaker.observeCalls((outcome, nanos) ->
                CALL_SECONDS.labelValues(breaker.name(), outcome).observe(nanos / 1e9));
    }

    public static void untrack(BreakerPolicy breaker) {
        breaker.observeCalls(null);
        BREAKERS.remove(breaker);
        for (String outcome : List.of("success", "failure", "timeout")) {
            CALL_SECONDS.remove(breaker.name(), outcome);
        }
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

    /** A breaker state as a gauge's value: 0 closed, 1 half-open, 2 open. */
    public static double stateLevel(BreakerState state) {
        return switch (state) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
        };
    }
}
