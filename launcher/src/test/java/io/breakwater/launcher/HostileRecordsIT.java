package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.config.WorkerGroups;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topics;
import io.breakwater.testkit.TopicProbe;

/**
 * Random bytes, random JSON and random headers, Breakwater's own {@code bw.*} among them, produced with a plain Kafka
 * producer on every topic the workers read: each record is handled or dead-lettered, no loop stops, and every
 * partition keeps moving (a valid question behind the noise on each partition is answered). The records come from a
 * seeded generator: the seed is printed, and {@code -Dbw.fuzz.seed=...} replays a run; {@code -Dbw.fuzz.records=...}
 * sets how many per topic.
 */
class HostileRecordsIT {

    private static final int PARTITIONS = Topics.DEFAULT_PARTITIONS;

    @TempDir
    Path dataDir;

    private final List<Throwable> failures = new ArrayList<>();
    private LocalPipeline pipeline;

    @AfterEach
    void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void shouldHandleOrDeadLetterEveryRandomRecordOnEveryInputTopicAndKeepEveryPartitionMoving() throws Exception {
        long seed = Long.getLong("bw.fuzz.seed", System.nanoTime());
        int perTopic = Integer.getInteger("bw.fuzz.records", 150);
        System.out.println("HostileRecordsIT seed=" + seed + " records per topic=" + perTopic);
        Random random = new Random(seed);
        pipeline = LocalPipeline.start(Settings.of(Map.of(
                "data.dir", dataDir.toString(),
                "embedded.kafka.port", "0",
                "embedded.mongo.port", "0",
                "api.host", "127.0.0.1",
                "api.port", "0",
                // Nothing outside this machine is fetched: every random URL is refused before any connection.
                "crawler.allowed.hosts", "127.0.0.1")), failures::add);
        Topics topics = Topics.from(Settings.of(Map.of()));
        List<String> inputs = List.of(topics.questions().name(), topics.parkedQuestions().name(),
                topics.crawlJobs().name(), topics.crawlJobsParked().name());
        KafkaSettings kafka = new KafkaSettings(pipeline.kafkaBootstrap(), Map.of());

        List<String> sentinels = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producer(kafka, "hostile"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (String topic : inputs) {
                for (int i = 0; i < perTopic; i++) {
                    producer.send(hostile(random, topic)).get();
                }
            }
            // Behind the noise on every partition of both question topics: a question that must be answered.
            for (String topic : List.of(topics.questions().name(), topics.parkedQuestions().name())) {
                for (int partition = 0; partition < PARTITIONS; partition++) {
                    String id = "sentinel-" + sentinels.size();
                    sentinels.add(id);
                    producer.send(new ProducerRecord<>(topic, partition, bytes(id),
                            bytes("{\"id\":\"" + id + "\",\"question\":\"Is partition " + partition + " moving?\"}")))
                            .get();
                }
            }
        }

        TopicProbe probe = new TopicProbe(pipeline.kafkaBootstrap());
        Set<String> answered = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(
                () -> probe.readAll(topics.answers().name(), Duration.ofMillis(500)).stream()
                        .map(record -> EventJson.decode(record.value(), AnswerEvent.class).id())
                        .collect(Collectors.toSet()),
                ids -> ids.containsAll(sentinels));
        assertThat(answered).containsAll(sentinels);
        try (Admin admin = KafkaClients.createAdmin(kafka, "hostile-offsets")) {
            // The input topics (not the parked ones, where a record may rightly wait for its not-before) are
            // committed to their ends: every record there was handled or dead-lettered.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                assertThat(lag(admin, WorkerGroups.DEFAULT_QA, topics.questions().name())).isZero();
                assertThat(lag(admin, WorkerGroups.DEFAULT_CRAWLER, topics.crawlJobs().name())).isZero();
            });
        }
        assertThat(failures).as("no loop stopped").isEmpty();
    }

    private static long lag(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int partition = 0; partition < PARTITIONS; partition++) {
            latest.put(new TopicPartition(topic, partition), OffsetSpec.latest());
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get();
        long lag = 0;
        for (TopicPartition partition : latest.keySet()) {
            OffsetAndMetadata done = committed.get(partition);
            // Written here without transactions: the log's end is the offset after its last record.
            lag += ends.get(partition).offset() - (done == null ? 0 : done.offset());
        }
        return lag;
    }

    private static final String[] BW_HEADERS = {"bw.not-before", "bw.park.count", "bw.origin.topic", "bw.reason",
            "bw.replayed-from", "bw.breaker", "bw.origin.partition", "bw.origin.offset", "traceparent"};
    private static final String[] NASTY_VALUES = {"+1000000000-12-31T23:59:59Z", "-1000000000-01-01T00:00:00Z",
            "9999999999999999999", "-5", "NaN", "", "breaker.control", "qa.answers", "2026-13-45T99:99:99Z",
            "\u0000\uFFFF", "1e308"};

    private static ProducerRecord<byte[], byte[]> hostile(Random random, String topic) {
        RecordHeaders headers = new RecordHeaders();
        for (int i = random.nextInt(6); i > 0; i--) {
            String key = random.nextInt(4) == 0 ? text(random, 20) : BW_HEADERS[random.nextInt(BW_HEADERS.length)];
            byte[] value = random.nextInt(3) == 0 ? randomBytes(random, 64)
                    : bytes(NASTY_VALUES[random.nextInt(NASTY_VALUES.length)]);
            headers.add(key, random.nextInt(10) == 0 ? null : value);
        }
        byte[] key = random.nextInt(5) == 0 ? null : randomBytes(random, 40);
        return new ProducerRecord<>(topic, random.nextInt(PARTITIONS), key, value(random), headers);
    }

    private static byte[] value(Random random) {
        return switch (random.nextInt(10)) {
            case 0 -> null;
            case 1 -> randomBytes(random, 2000);
            case 2 -> bytes("[".repeat(5000) + "]".repeat(5000));
            case 3 -> bytes("{\"id\":" + text(random, 30) + ",\"question\":" + random.nextInt() + "}");
            case 4 -> bytes("{\"id\":\"" + "x".repeat(random.nextInt(500)) + "\",\"question\":\"" + text(random, 4100) + "\"}");
            case 5 -> bytes("{\"url\":\"" + text(random, 200) + "\",\"depth\":" + (random.nextInt(20) - 10) + "}");
            case 6 -> bytes("{\"url\":\"http://h" + random.nextInt(1_000_000) + ".invalid/\",\"depth\":3}");
            case 7 -> bytes("{\"id\":\"ok-" + random.nextInt(1_000_000) + "\",\"question\":\"" + json(text(random, 80))
                    + "\",\"schemaVersion\":" + (random.nextInt(5) - 1) + "}");
            case 8 -> bytes("{}");
            default -> bytes(text(random, 300));
        };
    }

    private static String json(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String text(Random random, int maxLength) {
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(maxLength + 1); i > 0; i--) {
            int kind = random.nextInt(10);
            text.appendCodePoint(kind < 6 ? 'a' + random.nextInt(26) : kind < 8 ? ' ' + random.nextInt(95)
                    : kind == 8 ? random.nextInt(32) : 0x4E00 + random.nextInt(0x5000));
        }
        return text.toString();
    }

    private static byte[] randomBytes(Random random, int maxLength) {
        byte[] bytes = new byte[random.nextInt(maxLength + 1)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
