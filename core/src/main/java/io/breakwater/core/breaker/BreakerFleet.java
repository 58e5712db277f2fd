package io.breakwater.core.breaker;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.topic.Topics;

/**
 * An instance's breakers in the fleet: reported to {@code breaker.events}, and fed {@code breaker.health} and
 * {@code breaker.control}. Read the fleet's view first, so that a restarted worker starts from it. Whoever else
 * follows the breakers (this process's metrics) is told as each joins and leaves, through a {@link Members}.
 * Thread-safe.
 */
public final class BreakerFleet implements AutoCloseable {

    private final ClusterBreakerView view;
    private final BreakerReporter reporter;
    private final Members members;
    private final List<BreakerPolicy> breakers = new CopyOnWriteArrayList<>();

    private BreakerFleet(ClusterBreakerView view, BreakerReporter reporter, List<BreakerPolicy> breakers,
                         Members members) {
        this.view = view;
        this.reporter = reporter;
        this.members = members;
        breakers.forEach(this::joined);
    }

    /**
     * @param clientPrefix names the clients, followed by {@code -breakers-<instance>} and {@code -breaker-reports-...}
     * @param members told of every breaker as it joins and leaves (this process's metrics)
     */
    public static BreakerFleet join(KafkaSettings kafka, Topics topics, FleetSettings fleet, String instanceId,
                                    String clientPrefix, List<BreakerPolicy> breakers, Members members) {
        ClusterBreakerView view = ClusterBreakerView.start(kafka, topics, breakers, fleet.catchUp(),
                clientPrefix + "-breakers-" + instanceId);
        try {
            return new BreakerFleet(view, BreakerReporter.start(kafka, topics.breakerEvents(), breakers,
                    fleet.snapshotInterval(), clientPrefix + "-breaker-reports-" + instanceId), breakers, members);
        } catch (RuntimeException e) {
            view.close();
            throw e;
        }
    }

    /** Takes {@code breaker} into the fleet too: for breakers made as they are needed (one per crawled host). */
    public void add(BreakerPolicy breaker) {
        view.register(breaker);
        reporter.add(breaker);
        joined(breaker);
    }

    /**
     * Lets {@code breaker} go: no more reports, fleet news or metrics. The breaker-state app drops it from
     * {@code breaker.health} once its instances have been silent for the expiry.
     */
    public void remove(BreakerPolicy breaker) {
        reporter.remove(breaker);
        view.unregister(breaker);
        breakers.remove(breaker);
        members.left(breaker);
    }

    @Override
    public void close() {
        reporter.close();
        view.close();
        breakers.forEach(members::left);
    }

    private void joined(BreakerPolicy breaker) {
        breakers.add(breaker);
        members.joined(breaker);
    }

    /**
     * Told as breakers join and leave an instance's fleet: how metrics follow them without the fleet knowing about
     * metrics. Called on the thread that adds or removes the breaker.
     */
    public interface Members {

        void joined(BreakerPolicy breaker);

        void left(BreakerPolicy breaker);
    }
}
