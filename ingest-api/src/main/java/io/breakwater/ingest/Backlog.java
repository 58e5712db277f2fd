package io.breakwater.ingest;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.concurrent.DaemonThreads;

/**
 * How much work waits, for the dashboard: parked work not yet replayed (the replay group's lag on each parked
 * topic) and dead letters (records on each dead-letter topic). Both are offset differences, and transaction markers
 * take offsets too, so each figure is an upper bound (exact when zero); counting records would mean reading them all.
 * Counted in the background every few seconds. Thread-safe.
 */
final class Backlog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Backlog.class);
    private static final Duration INTERVAL = Duration.ofSeconds(3);

    /** @param replayGroup the group replaying {@code topic}, or null for a dead-letter topic (everything counts) */
    record Count(String name, String topic, String replayGroup) {
    }

    private final Admin admin;
    private final List<Count> counts;
    private final ScheduledExecutorService counter = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("bw-ingest-backlog"));
    private volatile Map<String, Long> latest = Map.of();

    Backlog(Admin admin, List<Count> counts) {
        this.admin = admin;
        this.counts = List.copyOf(counts);
        counter.scheduleWithFixedDelay(this::countAll, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Each count's latest figure, by name; absent until first counted. */
    Map<String, Long> latest() {
        return latest;
    }

    @Override
    public void close() {
        counter.shutdownNow();
        admin.close(Duration.ofSeconds(2));
    }

    private void countAll() {
        Map<String, Long> now = new LinkedHashMap<>();
        for (Count count : counts) {
            try {
                now.put(count.name(), count(count));
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    return;
                }
                log.debug("Cannot count {}: {}", count.topic(), e.toString());
            }
        }
        latest = Map.copyOf(now);
    }

    private long count(Count count) throws Exception {
        List<TopicPartition> partitions = admin.describeTopics(List.of(count.topic())).allTopicNames().get(5, TimeUnit.SECONDS)
                .get(count.topic()).partitions().stream().map(info -> new TopicPartition(count.topic(), info.partition()))
                .toList();
        Map<TopicPartition, Long> ends = offsets(partitions, OffsetSpec.latest());
        Map<TopicPartition, Long> starts = offsets(partitions, OffsetSpec.earliest());
        Map<TopicPartition, OffsetAndMetadata> committed = count.replayGroup() == null ? Map.of()
                : admin.listConsumerGroupOffsets(count.replayGroup()).partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
        long total = 0;
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata done = committed.get(partition);
            long from = done == null ? starts.get(partition) : Math.max(done.offset(), starts.get(partition));
            total += Math.max(0, ends.get(partition) - from);
        }
        return total;
    }

    private Map<TopicPartition, Long> offsets(List<TopicPartition> partitions, OffsetSpec spec) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(partition -> request.put(partition, spec));
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get(5, TimeUnit.SECONDS)
                .forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }
}
