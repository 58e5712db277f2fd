package io.breakwater.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;

import io.breakwater.core.breaker.BreakerFamilies;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.metrics.ProcessMetrics;

/**
 * The fleet's breakers as this app folded them last: {@code breakwater_health_state{breaker}} (0 closed, 1 half-open,
 * 2 open: the worst any instance reports), {@code breakwater_health_open_instances{breaker}}, and
 * {@code breakwater_health_updates_total}. Each app reports the breakers of the partitions it folds, so across
 * several apps take the max per breaker. A family of breakers (crawler:&lt;host&gt;) shows only its
 * {@link BreakerFamilies#WORST_SHOWN} worst members by name, and {@code breakwater_health_breakers{family,state}}
 * counts them all: the number of series does not grow with the hosts crawled.
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
                .callback(callback -> shown().forEach(health ->
                        callback.call(ProcessMetrics.stateLevel(health.state()), health.breaker())))
                .register(ProcessMetrics.registry());
        GaugeWithCallback.builder().name("breakwater_health_breakers")
                .help("How many breakers of each family (crawler: one per host) breaker.health holds, by state")
                .labelNames("family", "state")
                .callback(callback -> families().forEach((family, members) ->
                        BreakerFamilies.countByState(members, BreakerHealth::state).forEach((state, count) ->
                                callback.call(count, family, state.json()))))
                .register(ProcessMetrics.registry());
        GaugeWithCallback.builder().name("breakwater_health_open_instances")
                .help("How many instances report each breaker open, as last written to breaker.health")
                .labelNames("breaker")
                .callback(callback -> shown().forEach(health ->
                        callback.call(health.openInstances().size(), health.breaker())))
                .register(ProcessMetrics.registry());
    }

    private HealthMetrics() {
    }

    static void folded(BreakerHealth health) {
        LATEST.put(health.breaker(), health);
        UPDATES.inc();
    }

    static void dropped(String breaker) {
        LATEST.remove(breaker);
        UPDATES.inc();
    }

    /** The breakers shown one by one: the named ones, and each family's worst few (a constant number of series). */
    static List<BreakerHealth> shown() {
        List<BreakerHealth> shown = new ArrayList<>();
        LATEST.values().stream().filter(health -> !BreakerFamilies.inFamily(health.breaker())).forEach(shown::add);
        families().values().forEach(members -> shown.addAll(BreakerFamilies.worst(members, BreakerHealth::state,
                BreakerHealth::failureCount, BreakerHealth::breaker, BreakerFamilies.WORST_SHOWN)));
        return shown;
    }

    private static Map<String, List<BreakerHealth>> families() {
        Map<String, List<BreakerHealth>> families = new TreeMap<>();
        LATEST.values().forEach(health -> BreakerFamilies.family(health.breaker()).ifPresent(family ->
                families.computeIfAbsent(family, ignored -> new ArrayList<>()).add(health)));
        return families;
    }
}
