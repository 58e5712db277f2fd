package io.breakwater.core.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;

/**
 * Consumer lag as Prometheus sees it: {@code breakwater_consumer_lag{group, client, topic, partition}}, the records
 * between a consumer's position and the partition's end, as of its last fetch. Kafka creates one reporter per
 * client named in {@code metric.reporters} (see {@link #install}); each hands its consumer's
 * {@code records-lag} metrics to one process-wide gauge. Reading a {@link KafkaMetric} is thread-safe, so the
 * scrape does not touch the consumer itself.
 */
public final class ConsumerLagReporter implements MetricsReporter {

    private static final String LAG = "records-lag";
    private static final String FETCH_GROUP = "consumer-fetch-manager-metrics";
    private static final Map<KafkaMetric, String> LAGS = new ConcurrentHashMap<>();

    static {
        GaugeWithCallback.builder().name("breakwater_consumer_lag")
                .help("Records between each consumer's position and its partition's end, as of its last fetch:"
                        + " work waiting. Per consumer group, client, topic and partition")
                .labelNames("group", "client", "topic", "partition")
                .callback(callback -> {
                    Map<List<String>, Double> lags = new java.util.HashMap<>();
                    LAGS.forEach((metric, group) -> {
                        Object value = metric.metricValue();
                        if (value instanceof Double lag && !lag.isNaN()) {
                            Map<String, String> tags = metric.metricName().tags();
                            lags.put(List.of(group, tags.getOrDefault("client-id", ""), tags.get("topic"),
                                    tags.get("partition")), lag);
                        }
                    });
                    // Kafka also reports each dotted topic under a deprecated name with underscores: skip those.
                    java.util.Set<List<String>> dotted = new java.util.HashSet<>();
                    lags.keySet().forEach(key -> {
                        if (key.get(2).contains(".")) {
                            dotted.add(List.of(key.get(0), key.get(1), key.get(2).replace('.', '_'), key.get(3)));
                        }
                    });
                    lags.forEach((key, lag) -> {
                        if (!dotted.contains(key)) {
                            callback.call(lag, key.get(0), key.get(1), key.get(2), key.get(3));
                        }
                    });
                })
                .register(ProcessMetrics.registry());
    }

    private final java.util.Set<KafkaMetric> mine = ConcurrentHashMap.newKeySet();
    private String group = "";

    /** Client properties with this reporter added to whatever {@code metric.reporters} they already name. */
    public static void install(Map<? super String, Object> clientProperties) {
        Object named = clientProperties.get(ConsumerConfig.METRIC_REPORTER_CLASSES_CONFIG);
        String mine = ConsumerLagReporter.class.getName();
        clientProperties.put(ConsumerConfig.METRIC_REPORTER_CLASSES_CONFIG,
                named == null || named.toString().isBlank() ? mine
                        : named.toString().contains(mine) ? named.toString() : named + "," + mine);
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
