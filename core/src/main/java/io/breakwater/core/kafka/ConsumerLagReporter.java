package io.breakwater.core.kafka;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;

/**
 * Collects consumer lag: the records between a consumer's position and the partition's end, as of its last fetch.
 * Kafka creates one reporter per client named in {@code metric.reporters} (see {@link #install}); each hands its
 * consumer's {@code records-lag} metrics to one process-wide table that {@link #lags} reads (the metrics package
 * shows it as {@code breakwater_consumer_lag}). The table is static because Kafka instantiates reporters by class
 * name, with no way to hand them an object. Reading a {@link KafkaMetric} is thread-safe, so reading the lags does
 * not touch the consumer itself. Thread-safe.
 */
public final class ConsumerLagReporter implements MetricsReporter {

    private static final String LAG = "records-lag";
    private static final String FETCH_GROUP = "consumer-fetch-manager-metrics";
    private static final Map<KafkaMetric, String> LAGS = new ConcurrentHashMap<>();

    private final Set<KafkaMetric> mine = ConcurrentHashMap.newKeySet();
    private String group = "";

    /** Client properties with this reporter added to whatever {@code metric.reporters} they already name. */
    public static void install(Map<? super String, Object> clientProperties) {
        Object named = clientProperties.get(ConsumerConfig.METRIC_REPORTER_CLASSES_CONFIG);
        String mine = ConsumerLagReporter.class.getName();
        clientProperties.put(ConsumerConfig.METRIC_REPORTER_CLASSES_CONFIG,
                named == null || named.toString().isBlank() ? mine
                        : named.toString().contains(mine) ? named.toString() : named + "," + mine);
    }

    /** Every consumer's lag in this process, by (group, client, topic, partition). */
    public static Map<List<String>, Double> lags() {
        Map<List<String>, Double> lags = new HashMap<>();
        LAGS.forEach((metric, group) -> {
            Object value = metric.metricValue();
            if (value instanceof Double lag && !lag.isNaN()) {
                Map<String, String> tags = metric.metricName().tags();
                lags.put(List.of(group, tags.getOrDefault("client-id", ""), tags.get("topic"), tags.get("partition")),
                        lag);
            }
        });
        // Kafka also reports each dotted topic under a deprecated name with underscores: skip those.
        Set<List<String>> dotted = new HashSet<>();
        lags.keySet().forEach(key -> {
            if (key.get(2).contains(".")) {
                dotted.add(List.of(key.get(0), key.get(1), key.get(2).replace('.', '_'), key.get(3)));
            }
        });
        lags.keySet().removeAll(dotted);
        return lags;
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object groupId = configs.get(ConsumerConfig.GROUP_ID_CONFIG);
        // Kafka Streams names its consumers' group by application id.
        Object applicationId = configs.get("application.id");
        group = groupId != null ? groupId.toString() : applicationId != null ? applicationId.toString() : "";
    }

    @Override
    public void init(List<KafkaMetric> metrics) {
        metrics.forEach(this::metricChange);
    }

    @Override
    public void metricChange(KafkaMetric metric) {
        if (metric.metricName().name().equals(LAG) && metric.metricName().group().equals(FETCH_GROUP)
                && metric.metricName().tags().containsKey("topic") && metric.metricName().tags().containsKey("partition")) {
            LAGS.put(metric, group);
            mine.add(metric);
        }
    }

    @Override
    public void metricRemoval(KafkaMetric metric) {
        LAGS.remove(metric);
        mine.remove(metric);
    }

    @Override
    public void close() {
        mine.forEach(LAGS::remove);
        mine.clear();
    }
}
