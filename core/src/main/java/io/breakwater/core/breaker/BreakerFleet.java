package io.breakwater.core.breaker;

import java.util.List;

import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.metrics.ProcessMetrics;
import io.breakwater.core.topic.Topics;

/**
 * An instance's breakers in the fleet: reported to {@code breaker.events}, and fed {@code breaker.health} and
 * {@code breaker.control}. Read the fleet's view first, so that a restarted worker starts from it.
 */
public final class BreakerFleet implements AutoCloseable {

    private final ClusterBreakerView view;
    private final BreakerReporter reporter;
    private final List<BreakerPolicy> breakers = new java.util.concurrent.CopyOnWriteArrayList<>();

    private BreakerFleet(ClusterBreakerView view, BreakerReporter reporter, List<BreakerPolicy> breakers) {
        this.view = view;
        this.reporter = reporter;
        breakers.forEach(this::measure);
    }

    /** @param clientPrefix names the clients, followed by {@code -breakers-<instance>} and {@code -breaker-reports-...} */
    public static BreakerFleet join(KafkaSettings kafka, Topics topics, FleetSettings fleet, String instanceId,
                                    String clientPrefix, List<BreakerPolicy> breakers) {
        ClusterBreakerView view = ClusterBreakerView.start(kafka, topics, breakers, fleet.catchUp(),
                clientPrefix + "-breakers-" + instanceId);
        try {
            return new BreakerFleet(view, BreakerReporter.start(kafka, topics.breakerEvents(), breakers,
                    fleet.snapshotInterval(), clientPrefix + "-breaker-reports-" + instanceId), breakers);
        } catch (RuntimeException e) {
            view.close();
            throw e;
        }
    }

    /** Takes {@code breaker} into the fleet too: for breakers made as they are needed (one per crawled host). */
    public void add(BreakerPolicy breaker) {
        view.register(breaker);
        reporter.add(breaker);
        measure(breaker);
    }

    /**
     * Lets {@code breaker} go: no more reports, fleet news or metrics. The breaker-state app drops it from
     * {@code breaker.health} once its instances have been silent for the expiry.
     */
    public void remove(BreakerPolicy breaker) {
        reporter.remove(breaker);
        view.unregister(breaker);
        breakers.remove(breaker);
        ProcessMetrics.untrack(breaker);
    }

    @Override
    public void close() {
        reporter.close();
        view.close();
        breakers.forEach(ProcessMetrics::untrack);
    }

    /** Into this process's Prometheus metrics too. */
    private void measure(BreakerPolicy breaker) {
        breakers.add(breaker);
        ProcessMetrics.track(breaker);
    }
}
