package io.breakwater.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.TopicSpec;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.TopicProbe;

@ExtendWith(EmbeddedServersExtension.class)
class ExactlyOnceLoopIT {

    private static KafkaSettings kafka;
    private static TopicProbe probe;

    private final List<ExactlyOnceLoop<?>> loops = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private String input;
    private String output;
    private String deadLetters;

    @BeforeAll
    static void connect(EmbeddedServers servers) {
        kafka = new KafkaSettings(servers.bootstrapServers(), Map.of());
        probe = new TopicProbe(servers.bootstrapServers());
    }

    @BeforeEach
    void createTopics() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        input = "in-" + run;
        output = "out-" + run;
        deadLetters = "dlq-" + run;
        TopicSpec spec = new TopicSpec(3, (short) 1, Map.of());
        try (Admin admin = KafkaClients.createAdmin(kafka, "test-admin")) {
            TopicAdmin.ensure(admin, List.of(
                    new Topic<>(input, Serdes.ByteArray(), Serdes.ByteArray(), spec),
                    new Topic<>(output, Serdes.ByteArray(), Serdes.ByteArray(), spec),
                    new Topic<>(deadLetters, Serdes.ByteArray(), Serdes.ByteArray(), spec)));
        }
    }

    @AfterEach
    void stopLoops() {
        loops.forEach(ExactlyOnceLoop::close);
        assertThat(failures).isEmpty();
    }

    @Test
    void shouldProduceOneOutputPerInputAndNotHandleCommittedInputsAgain() {
        publish(200);
        AtomicInteger handled = new AtomicInteger();
        start("first", new Upper(handled));

        List<ConsumerRecord<byte[], byte[]>> out = probe.readAtLeast(output, 200, Duration.ofSeconds(30));
        assertThat(out).hasSize(200);
        assertThat(values(out)).containsExactlyInAnyOrderElementsOf(expectedUpper(200));
        loops.remove(0).close();

        int handledByFirst = handled.get();
        start("second", new Upper(handled));
        assertThat(probe.readAll(output, Duration.ofSeconds(2))).hasSize(200);
        assertThat(handled.get()).isEqualTo(handledByFirst);
    }

    @Test
    void shouldDeadLetterARecordWhoseHandlerThrowsAndMoveOn() {
        publish(10);
        probe.publish(input, key("boom"), value("boom"));
        publish(10);
        start("dlq", new Upper(new AtomicInteger()) {
            @Override
            public String handle(ConsumerRecord<byte[], byte[]> record) {
                if (text(record.value()).equals("boom")) {
                    throw new IllegalStateException("cannot upper-case a bomb");
                }
                return super.handle(record);
            }
        });

        assertThat(probe.readAtLeast(output, 20, Duration.ofSeconds(30))).hasSize(20);
        List<ConsumerRecord<byte[], byte[]>> dead = probe.readAtLeast(deadLetters, 1, Duration.ofSeconds(10));
        assertThat(dead).hasSize(1);
        ConsumerRecord<byte[], byte[]> letter = dead.get(0);
        assertThat(text(letter.value())).isEqualTo("boom");
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.REASON)).isEqualTo(DeadLetters.REASON_HANDLER_ERROR);
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.ERROR_CLASS)).isEqualTo(IllegalStateException.class.getName());
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.ERROR_MESSAGE)).isEqualTo("cannot upper-case a bomb");
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.ORIGIN_TOPIC)).isEqualTo(input);
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.ORIGIN_OFFSET)).isNotNull();
    }

    @Test
    void shouldHandleABatchAgainWhenItsSideEffectFailsAndStillCommitItOnce() {
        publish(30);
        AtomicInteger handled = new AtomicInteger();
        AtomicInteger attempts = new AtomicInteger();
        Set<String> stored = ConcurrentHashMap.newKeySet();
        start("flaky-store", new Upper(handled) {
            @Override
            public void beforeCommit(List<String> results) {
                if (attempts.incrementAndGet() <= 2) {
                    throw new IllegalStateException("store unavailable");
                }
                stored.addAll(results);
            }
        });

        List<ConsumerRecord<byte[], byte[]>> out = probe.readAtLeast(output, 30, Duration.ofSeconds(30));
        assertThat(probe.readAll(output, Duration.ofSeconds(1))).hasSize(30);
        assertThat(values(out)).containsExactlyInAnyOrderElementsOf(expectedUpper(30));
        assertThat(stored).containsExactlyInAnyOrderElementsOf(expectedUpper(30));
        assertThat(handled.get()).as("records handled again after the failed side effects").isGreaterThan(30);
    }

    @Test
    void shouldHandleNothingWhileTheAdmissionAllowsNoneAndEverythingOnceItDoes() {
        publish(20);
        AtomicInteger handled = new AtomicInteger();
        AtomicInteger capacity = new AtomicInteger(0);
        start("gated", new Upper(handled), new Admission() {
            @Override
            public int capacity() {
                return capacity.get();
            }

            @Override
            public Duration holdFor(ConsumerRecord<byte[], byte[]> record) {
                return Duration.ZERO;
            }
        });

        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> handled.get() == 0);
        capacity.set(2);

        assertThat(probe.readAtLeast(output, 20, Duration.ofSeconds(30))).hasSize(20);
        assertThat(handled).hasValue(20);
    }

    @Test
    void shouldHoldAPartitionWhileItsNextRecordIsNotDueAndKeepItsOrder() {
        TopicSpec single = new TopicSpec(1, (short) 1, Map.of());
        String ordered = input + "-ordered";
        try (Admin admin = KafkaClients.createAdmin(kafka, "test-admin")) {
            TopicAdmin.ensure(admin, List.of(new Topic<>(ordered, Serdes.ByteArray(), Serdes.ByteArray(), single)));
        }
        for (int i = 0; i < 5; i++) {
            probe.publish(ordered, key("k" + i), value("v" + i));
        }
        long due = System.nanoTime() + Duration.ofMillis(500).toNanos();
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        LoopSettings settings = new LoopSettings("held", List.of(ordered), deadLetters, "group-" + ordered,
                "tx-" + ordered, 4, Duration.ofMillis(50));
        loops.add(ExactlyOnceLoop.start(settings, kafka, new Upper(new AtomicInteger()) {
            @Override
            public String handle(ConsumerRecord<byte[], byte[]> record) {
                order.add(text(record.value()));
                return super.handle(record);
            }
        }, new Admission() {
            @Override
            public int capacity() {
                return 1;
            }

            @Override
            public Duration holdFor(ConsumerRecord<byte[], byte[]> record) {
                // The third record is not due for half a second; the ones behind it must wait with it.
                long left = due - System.nanoTime();
                return text(record.value()).equals("v2") && left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
            }
        }, failures::add));

        assertThat(probe.readAtLeast(output, 5, Duration.ofSeconds(30))).hasSize(5);
        assertThat(order).containsExactly("v0", "v1", "v2", "v3", "v4");
        assertThat(System.nanoTime()).isGreaterThanOrEqualTo(due);
    }

    @Test
    void shouldCommitTheHandlersFailedOutcomeWithTheDeadLetterWhenHandlingThrows() {
        probe.publish(input, key("boom"), value("boom"));
        start("failed", new Upper(new AtomicInteger()) {
            @Override
            public String handle(ConsumerRecord<byte[], byte[]> record) {
                throw new IllegalStateException("cannot upper-case a bomb");
            }

            @Override
            public String failed(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
                return "FAILED " + text(record.value()) + " (" + reason + ")";
            }
        });

        assertThat(values(probe.readAtLeast(output, 1, Duration.ofSeconds(30))))
                .containsExactly("FAILED boom (" + DeadLetters.REASON_HANDLER_ERROR + ")");
        assertThat(probe.readAtLeast(deadLetters, 1, Duration.ofSeconds(10))).hasSize(1);
    }

    @Test
    void shouldDeadLetterTheRecordWhoseOutputsKafkaRefusesAndCommitEveryOtherOnce() {
        publish(10);
        probe.publish(input, key("k-poison"), value("poison"));
        publish(10);
        start("refused", new Upper(new AtomicInteger()) {
            @Override
            public List<ProducerRecord<byte[], byte[]>> outputs(String result) {
                // A topic name Kafka refuses: the transaction fails, whichever records share it.
                return result.equals("POISON") ? List.of(new ProducerRecord<>("no such topic!", key(result), value(result)))
                        : super.outputs(result);
            }
        });

        List<ConsumerRecord<byte[], byte[]>> dead = probe.readAtLeast(deadLetters, 1, Duration.ofSeconds(60));
        assertThat(dead).hasSize(1);
        assertThat(text(dead.get(0).value())).isEqualTo("poison");
        assertThat(WorkHeaders.text(dead.get(0).headers(), WorkHeaders.REASON)).isEqualTo(DeadLetters.REASON_COMMIT_FAILED);
        List<ConsumerRecord<byte[], byte[]>> out = probe.readAll(output, Duration.ofSeconds(2));
        assertThat(values(out)).hasSize(20).containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(expectedUpper(10).stream(), expectedUpper(10).stream()).toList());
    }

    @Test
    void shouldMoveBreakwaterHeadersFromAProducerAsideBeforeTheHandlerSeesThem() {
        org.apache.kafka.common.header.internals.RecordHeaders forged = new org.apache.kafka.common.header.internals.RecordHeaders();
        forged.add(WorkHeaders.PARK_COUNT, value("99"));
        forged.add(WorkHeaders.ORIGIN_TOPIC, value("breaker.control"));
        forged.add("traceparent", value("00-abc-def-01"));
        probe.publish(input, key("k"), value("v"), forged);
        Map<String, String> seen = new ConcurrentHashMap<>();
        start("headers", new Upper(new AtomicInteger()) {
            @Override
            public String handle(ConsumerRecord<byte[], byte[]> record) {
                record.headers().forEach(header -> seen.put(header.key(), text(header.value())));
                return super.handle(record);
            }
        });

        assertThat(probe.readAtLeast(output, 1, Duration.ofSeconds(30))).hasSize(1);
        assertThat(seen).containsOnly(Map.entry("untrusted.bw.park.count", "99"),
                Map.entry("untrusted.bw.origin.topic", "breaker.control"), Map.entry("traceparent", "00-abc-def-01"));
    }

    @Test
    void shouldSendAParkedRecordDueInAnHourToTheEndOfItsTopicInsteadOfHoldingTheRecordsBehindIt() {
        probe.publish(input, key("later"), value("later"));
        String samePartition = "later";
        probe.publish(input, key(samePartition), value("now"));
        AtomicInteger handled = new AtomicInteger();
        LoopSettings replay = new LoopSettings("replay", List.of(input), deadLetters, "group-" + input,
                "tx-" + input + "-replay", 4, Duration.ofMillis(50), input);
        loops.add(ExactlyOnceLoop.start(replay, kafka, new Upper(handled), new Admission() {
            @Override
            public int capacity() {
                return 4;
            }

            @Override
            public Duration holdFor(ConsumerRecord<byte[], byte[]> record) {
                return mustWait(record) ? Duration.ofHours(1) : Duration.ZERO;
            }

            @Override
            public boolean mustWait(ConsumerRecord<byte[], byte[]> record) {
                return text(record.value()).equals("later");
            }
        }, failures::add));

        assertThat(values(probe.readAtLeast(output, 1, Duration.ofSeconds(30)))).containsExactly("NOW");
        List<ConsumerRecord<byte[], byte[]>> parked = probe.readAtLeast(input, 3, Duration.ofSeconds(30));
        assertThat(values(parked)).containsExactly("later", "now", "later");
        assertThat(handled.get()).isEqualTo(1);
    }

    /**
     * Review evidence (issue 12): a dead letter keeps every header of the original ({@code DeadLetters.of} copies them,
     * {@code withoutValue} and {@code bareDeadLetter} drop only the value). A record whose own headers are larger than
     * the dead-letter topic takes can never be dead-lettered: the single-record transaction fails (poison 1), the
     * failed() letter fails (poison 2), the bare letter fails (poison 3, 4, ...) for ever; every failure rewinds the
     * whole loop, so the records behind it are never committed.
     */
    @Test
    void shouldNotStallBehindARecordWhoseHeadersAloneAreTooLargeForTheDeadLetterTopic() {
        String single = input + "-one";
        String smallDlq = deadLetters + "-small";
        try (Admin admin = KafkaClients.createAdmin(kafka, "test-admin")) {
            TopicAdmin.ensure(admin, List.of(
                    new Topic<>(single, Serdes.ByteArray(), Serdes.ByteArray(), new TopicSpec(1, (short) 1, Map.of())),
                    new Topic<>(smallDlq, Serdes.ByteArray(), Serdes.ByteArray(),
                            new TopicSpec(1, (short) 1, Map.of("max.message.bytes", "20000")))));
        }
        org.apache.kafka.common.header.internals.RecordHeaders big = new org.apache.kafka.common.header.internals.RecordHeaders();
        byte[] noise = new byte[30_000];
        new java.util.Random(12).nextBytes(noise); // incompressible: the broker checks the zstd batch
        big.add("trace", noise);
        probe.publish(single, key("boom"), value("boom"), big);
        for (int i = 0; i < 5; i++) {
            probe.publish(single, key("k" + i), value("v" + i));
        }
        LoopSettings settings = new LoopSettings("big-headers", List.of(single), smallDlq, "group-" + single,
                "tx-" + single, 4, Duration.ofMillis(50));
        loops.add(ExactlyOnceLoop.start(settings, kafka, new Upper(new AtomicInteger()) {
            @Override
            public String handle(ConsumerRecord<byte[], byte[]> record) {
                if (text(record.value()).equals("boom")) {
                    throw new IllegalStateException("cannot upper-case a bomb");
                }
                return super.handle(record);
            }
        }, Admission.upTo(50), failures::add));

        assertThat(values(probe.readAtLeast(output, 5, Duration.ofSeconds(60))))
                .as("the records behind the one whose dead letter cannot fit")
                .containsExactlyInAnyOrderElementsOf(expectedUpper(5));
    }

    private void start(String name, RecordHandler<String> handler) {
        start(name, handler, Admission.upTo(50));
    }

    private void start(String name, RecordHandler<String> handler, Admission admission) {
        LoopSettings settings = new LoopSettings(name, List.of(input), deadLetters, "group-" + input,
                "tx-" + input + "-" + name, 4, Duration.ofMillis(50));
        loops.add(ExactlyOnceLoop.start(settings, kafka, handler, admission, failures::add));
    }

    private void publish(int count) {
        for (int i = 0; i < count; i++) {
            probe.publish(input, key("k" + i), value("v" + i));
        }
    }

    private static List<String> expectedUpper(int count) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            expected.add("V" + i);
        }
        return expected;
    }

    private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(record -> text(record.value())).collect(Collectors.toList());
    }

    private static byte[] key(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Upper-cases each value onto the output topic. */
    private class Upper implements RecordHandler<String> {

        private final AtomicInteger handled;

        Upper(AtomicInteger handled) {
            this.handled = handled;
        }

        @Override
        public String handle(ConsumerRecord<byte[], byte[]> record) {
            handled.incrementAndGet();
            return text(record.value()).toUpperCase();
        }

        @Override
        public List<ProducerRecord<byte[], byte[]>> outputs(String result) {
            return List.of(new ProducerRecord<>(output, key(result), value(result)));
        }
    }
}
