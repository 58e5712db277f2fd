package io.breakwater.core.breaker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.event.EventJson;
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

    private final TopicFollower follower;

    private ClusterBreakerView(TopicFollower follower) {
        this.follower = follower;
    }

    /**
     * Follows the breaker topics for {@code breakers}, waiting up to {@code catchUp} for what is already there.
     *
     * @param clientId names the consumer and its thread
     */
    public static ClusterBreakerView start(KafkaSettings kafka, Topics topics, List<BreakerPolicy> breakers,
                                           Duration catchUp, String clientId) {
        Map<String, BreakerPolicy> byName = breakers.stream()
                .collect(Collectors.toMap(BreakerPolicy::name, Function.identity()));
        String health = topics.breakerHealth().name();
        String control = topics.breakerControl().name();
        TopicFollower follower = TopicFollower.start(kafka, clientId, List.of(health, control),
                record -> apply(record, health, byName), () -> breakers.forEach(BreakerPolicy::fleetNewsApplied));
        if (!follower.awaitCaughtUp(catchUp)) {
            log.warn("Could not read {} and {} within {} s; breakers start from their own view", health, control,
                    catchUp.toSeconds());
        }
        return new ClusterBreakerView(follower);
    }

    @Override
    public void close() {
        follower.close();
    }

    private static void apply(ConsumerRecord<byte[], byte[]> record, String healthTopic, Map<String, BreakerPolicy> byName) {
        if (record.value() == null || record.key() == null) {
            return;
        }
        BreakerPolicy breaker = byName.get(new String(record.key(), java.nio.charset.StandardCharsets.UTF_8));
        if (breaker == null) {
            return;
        }
        if (record.topic().equals(healthTopic)) {
            breaker.onClusterHealth(EventJson.decode(record.value(), BreakerHealth.class));
        } else {
            breaker.onOverride(EventJson.decode(record.value(), BreakerOverride.class));
        }
    }
}
