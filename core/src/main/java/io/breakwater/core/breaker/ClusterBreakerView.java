package io.breakwater.core.breaker;

import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.topic.TopicFollower;
import io.breakwater.core.topic.Topics;

/**
 * Feeds an instance's breakers what the fleet knows: {@code breaker.health} (so they follow another instance's
 * open breaker and its recovery) and {@code breaker.control} (operators' overrides). Started before the worker
 * consumes anything, and given a moment to catch up, so a restarted worker starts from the fleet's view instead of
 * relearning with failures of its own.
 */
public final class ClusterBreakerView implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterBreakerView.class);

    private final Map<String, BreakerPolicy> byName = new ConcurrentHashMap<>();
    private final Map<String, BreakerHealth> latestHealth = new ConcurrentHashMap<>();
    private final Map<String, BreakerOverride> latestOverride = new ConcurrentHashMap<>();
    private TopicFollower follower;

    private ClusterBreakerView() {
    }

    /**
     * Follows the breaker topics for {@code breakers}, waiting up to {@code catchUp} for what is already there.
     *
     * @param clientId names the consumer and its thread
     */
    public static ClusterBreakerView start(KafkaSettings kafka, Topics topics, List<BreakerPolicy> breakers,
                                           Duration catchUp, String clientId) {
        ClusterBreakerView view = new ClusterBreakerView();
        breakers.forEach(view::register);
        String health = topics.breakerHealth().name();
        String control = topics.breakerControl().name();
        view.follower = TopicFollower.start(kafka, clientId, List.of(health, control),
                record -> view.apply(record, health), () -> view.byName.values().forEach(BreakerPolicy::fleetNewsApplied));
        if (!view.follower.awaitCaughtUp(catchUp)) {
            log.warn("Could not read {} and {} within {} s; breakers start from their own view", health, control,
                    catchUp.toSeconds());
        }
        return view;
    }

    /** Feeds {@code breaker} too, starting with what the fleet already knows of it: for breakers made as needed. */
    public void register(BreakerPolicy breaker) {
        byName.put(breaker.name(), breaker);
        BreakerOverride override = latestOverride.get(breaker.name());
        if (override != null) {
            breaker.onOverride(override);
        }
        BreakerHealth health = latestHealth.get(breaker.name());
        if (health != null) {
            breaker.onClusterHealth(health);
        }
    }

    /** Stops feeding {@code breaker}: it is gone (a host's breaker evicted for idleness). */
    public void unregister(BreakerPolicy breaker) {
        byName.remove(breaker.name(), breaker);
    }

    @Override
    public void close() {
        follower.close();
    }

    private void apply(ConsumerRecord<byte[], byte[]> record, String healthTopic) {
        if (record.key() == null) {
            return;
        }
        String name = new String(record.key(), StandardCharsets.UTF_8);
        if (record.value() == null) {
            // A tombstone: the breaker is gone from the fleet (no instance reports it any more).
            (record.topic().equals(healthTopic) ? latestHealth : latestOverride).remove(name);
            return;
        }
        BreakerPolicy breaker = byName.get(name);
        if (record.topic().equals(healthTopic)) {
            BreakerHealth health = EventJson.decode(record.value(), BreakerHealth.class);
            latestHealth.put(name, health);
            if (breaker != null) {
                breaker.onClusterHealth(health);
            }
        } else {
            BreakerOverride override = EventJson.decode(record.value(), BreakerOverride.class);
            latestOverride.put(name, override);
            if (breaker != null) {
                breaker.onOverride(override);
            }
        }
    }
}
