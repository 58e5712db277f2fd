package io.breakwater.core.topic;

import java.util.Map;

/**
 * How a topic is created.
 *
 * @param partitions how many partitions: the most consumers of one group that can share its work
 * @param replicationFactor copies of each partition; 1 on the embedded broker, 3 on a production cluster
 * @param configs topic-level settings such as {@code cleanup.policy}
 */
public record TopicSpec(int partitions, short replicationFactor, Map<String, String> configs) {

    public TopicSpec {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1 but was " + partitions);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replicationFactor must be at least 1 but was " + replicationFactor);
        }
        configs = Map.copyOf(configs);
    }

    public TopicSpec withConfig(String key, String value) {
        Map<String, String> merged = new java.util.HashMap<>(configs);
        merged.put(key, value);
        return new TopicSpec(partitions, replicationFactor, merged);
    }
}
