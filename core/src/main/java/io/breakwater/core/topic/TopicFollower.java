package io.breakwater.core.topic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.concurrent.DaemonThreads;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;

/**
 * Follows whole topics from their beginning, without a consumer group: every partition, every committed record, in
 * order per partition, then each new one as it comes. For compacted topics that hold state (breaker health,
 * overrides) that every instance must know in full. One thread of its own; the handler runs on it.
 */
public final class TopicFollower implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(50);
    /** How often the topics are asked for partitions added since: a follower must see a topic grow. */
    static final Duration PARTITION_CHECK = Duration.ofSeconds(30);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<String> topics;
    private final Consumer<ConsumerRecord<byte[], byte[]>> handler;
    private final Runnable afterBatch;
    private final boolean fromEnd;
    private final Duration partitionCheck;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    private TopicFollower(KafkaSettings kafka, String clientId, List<String> topics,
                          Consumer<ConsumerRecord<byte[], byte[]>> handler, Runnable afterBatch, boolean fromEnd,
                          Duration partitionCheck) {
        Map<String, Object> props = KafkaClients.transactionalConsumer(kafka, clientId, "unused");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        // partitionsFor answers from the client's metadata: refreshed this often, it shows partitions added since.
        props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, (int) Math.max(100, partitionCheck.toMillis()));
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topics = List.copyOf(topics);
        this.handler = handler;
        this.afterBatch = afterBatch;
        this.fromEnd = fromEnd;
        this.partitionCheck = partitionCheck;
        this.thread = DaemonThreads.named(clientId).newThread(this::run);
    }

    /** Starts following {@code topics}; {@code handler} sees every record, oldest first per partition. */
    public static TopicFollower start(KafkaSettings kafka, String clientId, List<String> topics,
                                      Consumer<ConsumerRecord<byte[], byte[]>> handler) {
        return start(kafka, clientId, topics, handler, () -> { });
    }

    /** As above; {@code afterBatch} runs after the records of each poll: when the view is as complete as it gets. */
    public static TopicFollower start(KafkaSettings kafka, String clientId, List<String> topics,
                                      Consumer<ConsumerRecord<byte[], byte[]>> handler, Runnable afterBatch) {
        TopicFollower follower = new TopicFollower(kafka, clientId, topics, handler, afterBatch, false, PARTITION_CHECK);
        follower.thread.start();
        return follower;
    }

    /** Follows only what is published from now on: for news (answers as they come), not for state. */
    public static TopicFollower startAtEnd(KafkaSettings kafka, String clientId, List<String> topics,
                                           Consumer<ConsumerRecord<byte[], byte[]>> handler) {
        TopicFollower follower = new TopicFollower(kafka, clientId, topics, handler, () -> { }, true, PARTITION_CHECK);
        follower.thread.start();
        return follower;
    }

    /** As {@link #startAtEnd}, asking for new partitions every {@code partitionCheck}: for tests. */
    static TopicFollower startAtEnd(KafkaSettings kafka, String clientId, List<String> topics,
                                    Consumer<ConsumerRecord<byte[], byte[]>> handler, Duration partitionCheck) {
        TopicFollower follower = new TopicFollower(kafka, clientId, topics, handler, () -> { }, true, partitionCheck);
        follower.thread.start();
        return follower;
    }

    /** Waits until every record that was on the topics at start has been handled; false if that took too long. */
    public boolean awaitCaughtUp(Duration timeout) {
        try {
            return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        running = false;
        closed.countDown();
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            List<TopicPartition> partitions = assignWhenTheTopicsExist();
            if (partitions.isEmpty()) {
                return;
            }
            Map<TopicPartition, Long> ends = null;
            long nextPartitionCheck = System.nanoTime() + partitionCheck.toNanos();
            Duration backoff = MIN_BACKOFF;
            while (running) {
                try {
                    if (ends == null) {
                        ends = new HashMap<>(consumer.endOffsets(partitions));
                    }
                    follow(ends);
                    if (System.nanoTime() - nextPartitionCheck >= 0) {
                        partitions = addNewPartitions(partitions);
                        nextPartitionCheck = System.nanoTime() + partitionCheck.toNanos();
                    }
                    backoff = MIN_BACKOFF;
                } catch (WakeupException e) {
                    if (!running) {
                        break;
                    }
                } catch (KafkaException e) {
                    // Kafka away, a partition moving: a follower that stops would leave its view stale for good.
                    log.warn("{}: following {} failed; trying again in {} ms: {}", thread.getName(), topics,
                            backoff.toMillis(), e.toString());
                    pause(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void follow(Map<TopicPartition, Long> ends) {
        var records = consumer.poll(POLL);
        for (ConsumerRecord<byte[], byte[]> record : records) {
            try {
                handler.accept(record);
            } catch (RuntimeException e) {
                log.warn("{}: skipped record {}-{}@{}: {}", thread.getName(), record.topic(),
                        record.partition(), record.offset(), e.getMessage());
            }
        }
        if (!records.isEmpty()) {
            afterBatch.run();
        }
        if (caughtUp.getCount() > 0) {
            ends.entrySet().removeIf(end -> consumer.position(end.getKey()) >= end.getValue());
            if (ends.isEmpty()) {
                caughtUp.countDown();
            }
        }
    }

    /** Assigns partitions added to the topics since they were last asked, each read from its beginning. */
    private List<TopicPartition> addNewPartitions(List<TopicPartition> assigned) {
        List<TopicPartition> all = new ArrayList<>(assigned);
        List<TopicPartition> added = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            for (PartitionInfo info : infos == null ? List.<PartitionInfo>of() : infos) {
                TopicPartition partition = new TopicPartition(info.topic(), info.partition());
                if (!all.contains(partition)) {
                    all.add(partition);
                    added.add(partition);
                }
            }
        }
        if (!added.isEmpty()) {
            consumer.assign(all);
            // Everything on a partition added since is new, whether this follower reads state or news.
            consumer.seekToBeginning(added);
            log.info("{}: following {} new partition(s): {}", thread.getName(), added.size(), added);
        }
        return all;
    }

    private void pause(Duration wait) {
        try {
            closed.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private List<TopicPartition> assignWhenTheTopicsExist() {
        while (running) {
            List<TopicPartition> partitions = new ArrayList<>();
            boolean all = true;
            for (String topic : topics) {
                List<PartitionInfo> infos;
                try {
                    infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
                } catch (WakeupException e) {
                    return List.of();
                } catch (KafkaException e) {
                    infos = List.of();
                }
                if (infos == null || infos.isEmpty()) {
                    all = false;
                    break;
                }
                infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
            }
            if (all) {
                consumer.assign(partitions);
                if (fromEnd) {
                    consumer.seekToEnd(partitions);
                    partitions.forEach(consumer::position);
                } else {
                    consumer.seekToBeginning(partitions);
                }
                return partitions;
            }
            log.info("{}: waiting for {} to be created", thread.getName(), topics);
            pause(Duration.ofSeconds(1));
        }
        return List.of();
    }
}
