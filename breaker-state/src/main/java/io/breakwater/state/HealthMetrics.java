package io.breakwater.state;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;

import io.breakwater.core.breaker.BreakerHealth;
import io.breakwater.core.metrics.ProcessMetrics;

/**
 * The fleet's breakers as this app folded them last: {@code breakwater_health_state{breaker}} (0 closed, 1 half-open,
 * 2 open: the worst any instance reports), {@code breakwater_health_open_instances{breaker}}, and
 * {@code breakwater_health_updates_total}. Each app reports the breakers of the partitions it folds, so across
 * several apps take the max per breaker.
 */
final class HealthMetrics {

    private static final Map<String, BreakerHealth> LATEST = new ConcurrentHashMap<>();
    private static final Counter UPDATES = Counter.builder().name("breakwater_health_updates")
            .help("Health records written to breaker.health")
            .register(ProcessMetrics.registry());

    static {
        GaugeWithCallback.builder().name("breakwater_health_state")
                .help("Each breaker's state across the fleet, as last written to breaker.health: 0 closed,"
                        + " 1 half-open, 2 open")
                .labelNames("breaker")
                .callback(callback -> LATEST.forEach((breaker, health) ->
                        callback.call(ProcessMetrics.stateLevel(health.state()), breaker)))
                .register(ProcessMetrics.registry());
        GaugeWithCallback.builder().name("breakwater_health_open_instances")
                .help("How many instances report each breaker open, as last written to breaker.health")
                .labelNames("breaker")
                .callback(callback -> LATEST.forEach((breaker, health) ->
                        callback.call(health.openInstances().size(), breaker)))
                .register(ProcessMetrics.registry());
    }

    private HealthMetrics() {
    }

    static void folded(BreakerHealth health) {
        LATEST.put(health.breaker(), health);
        UPDATES.inc();
    }
}
