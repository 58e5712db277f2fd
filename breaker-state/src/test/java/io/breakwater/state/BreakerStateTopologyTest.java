package io.breakwater.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.HdrHistogram.Histogram;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.health.LatencyWindow;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.topic.Topics;

/** How the breaker-state app folds every instance's reports into one health record per breaker. */
class BreakerStateTopologyTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    private static final Duration EXPIRY = Duration.ofSeconds(20);

    private final Topics topics = Topics.from(Settings.of(Map.of()));
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> events;
    private TestInputTopic<String, byte[]> control;
    private TestOutputTopic<String, byte[]> health;
    private TestOutputTopic<String, byte[]> deadLetters;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "breaker-state-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(BreakerStateTopology.build(topics, EXPIRY, Duration.ofSeconds(1)), props, T0);
        events = driver.createInputTopic(topics.breakerEvents().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        control = driver.createInputTopic(topics.breakerControl().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        health = driver.createOutputTopic(topics.breakerHealth().name(), Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
        deadLetters = driver.createOutputTopic(topics.breakerEventsDeadLetter().name(), Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void shouldShowABreakerOpenTheMomentAnInstanceReportsItOpened() {
        send(report("worker-a", BreakerEvent.Kind.TRANSITION, BreakerState.OPEN, BreakerCause.FAILURES, 5, 10, 5, 5, 0));

        BreakerHealth latest = latestHealth();
        assertThat(latest.breaker()).isEqualTo("llm_service");
        assertThat(latest.state()).isEqualTo(BreakerState.OPEN);
        assertThat(latest.isOpen()).isTrue();
        assertThat(latest.isClosed()).isFalse();
        assertThat(latest.openInstances()).containsExactly("worker-a");
        assertThat(latest.failureCount()).isEqualTo(5);
        assertThat(latest.openedAt()).isEqualTo(T0);
        assertThat(latest.openUntil()).isEqualTo(T0.plusSeconds(60));
        assertThat(latest.lastChangeAt()).isEqualTo(T0);
    }

    @Test
    void shouldShowOpenWhileAnyInstanceIsOpenAndListWhichOnes() {
        send(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 100, 100, 0, 0));
        send(report("worker-b", BreakerEvent.Kind.TRANSITION, BreakerState.OPEN, BreakerCause.FAILURES, 5, 50, 45, 5, 0));
        send(report("worker-c", BreakerEvent.Kind.TRANSITION, BreakerState.HALF_OPEN, BreakerCause.DELAY_ELAPSED, 5, 20, 15, 5, 0));

        BreakerHealth latest = latestHealth();
        assertThat(latest.state()).isEqualTo(BreakerState.OPEN);
        assertThat(latest.openInstances()).containsExactly("worker-b");
        assertThat(latest.halfOpenInstances()).containsExactly("worker-c");
        assertThat(latest.instances()).containsExactly("worker-a", "worker-b", "worker-c");
        assertThat(latest.byInstance().get("worker-a").state()).isEqualTo(BreakerState.CLOSED);
        assertThat(latest.byInstance().get("worker-b").isTripped()).isTrue();
    }

    @Test
    void shouldShowHalfOpenWhenNoInstanceIsOpenButOneIsTrying() {
        send(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 10, 10, 0, 0));
        send(report("worker-b", BreakerEvent.Kind.TRANSITION, BreakerState.HALF_OPEN, BreakerCause.DELAY_ELAPSED, 5, 10, 5, 5, 0));

        assertThat(latestHealth().state()).isEqualTo(BreakerState.HALF_OPEN);
    }

    @Test
    void shouldSumTheFleetsCallsAndComputeTheSuccessRateFromCallsThatReachedTheDependency() {
        send(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 1, 1040, 997, 3, 40));
        send(report("worker-b", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 2, 542, 540, 2, 0));

        BreakerHealth latest = latestHealth();
        assertThat(latest.totalCalls()).isEqualTo(1582);
        assertThat(latest.successfulCalls()).isEqualTo(1537);
        assertThat(latest.failedCalls()).isEqualTo(5);
        assertThat(latest.rejectedCalls()).isEqualTo(40);
        assertThat(latest.failureCount()).isEqualTo(3);
        // 1537 of the 1542 calls that reached it; the 40 refused while open say nothing about the dependency.
        assertThat(latest.successRate()).isEqualTo(99.7);
        assertThat(latest.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(latest.isClosed()).isTrue();
    }

    @Test
    void shouldLeaveTheSuccessRateOutBeforeAnyCallReachedTheDependency() {
        send(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 0, 0, 0, 0));

        assertThat(latestHealth().successRate()).isNull();
        assertThat(BreakerFold.successRate(2, 1)).isEqualTo(66.7);
        assertThat(BreakerFold.successRate(0, 4)).isEqualTo(0.0);
    }

    @Test
    void shouldComputeFleetPercentilesFromTheMergedHistogramsNotFromAveragedPercentiles() {
        // worker-a: 990 fast calls (10 ms); worker-b: 10 slow calls (2 s). Fleet p99 is a fast call; averaging the
        // instances' p99s (10 ms and 2 s) would say about a second, which no call took.
        send(withLatency(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 990, 990, 0, 0),
                latencies(990, 10_000)));
        send(withLatency(report("worker-b", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 10, 10, 0, 0),
                latencies(10, 2_000_000)));

        BreakerHealth.Latency latency = latestHealth().latency();
        assertThat(latency.count()).isEqualTo(1000);
        assertThat(latency.p50Ms()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(0.1));
        assertThat(latency.p99Ms()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(0.1));
        assertThat(latency.p999Ms()).isCloseTo(2000.0, org.assertj.core.data.Offset.offset(2.0));
        assertThat(latency.windowSeconds()).isEqualTo(60);
    }

    @Test
    void shouldKeepAnInstancesLastHistogramWhenItsLaterReportsCarryNone() {
        send(withLatency(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 5, 5, 0, 0),
                latencies(5, 1_000)));
        send(report("worker-a", BreakerEvent.Kind.FAILURES, BreakerState.CLOSED, BreakerCause.HEALTHY, 1, 6, 5, 1, 0));

        assertThat(latestHealth().latency().count()).isEqualTo(5);
    }

    @Test
    void shouldDropAnInstanceThatStoppedReportingAndShowWhatTheOthersSay() {
        send(report("worker-a", BreakerEvent.Kind.TRANSITION, BreakerState.OPEN, BreakerCause.FAILURES, 5, 5, 0, 5, 0));
        driver.advanceWallClockTime(Duration.ofSeconds(15));
        send(report("worker-b", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 10, 10, 0, 0));
        assertThat(latestHealth().state()).isEqualTo(BreakerState.OPEN);

        driver.advanceWallClockTime(Duration.ofSeconds(6));

        BreakerHealth latest = latestHealth();
        assertThat(latest.instances()).containsExactly("worker-b");
        assertThat(latest.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(latest.openInstances()).isEmpty();
        assertThat(latest.totalCalls()).isEqualTo(10);
    }

    @Test
    void shouldRememberWhenATrialCallClosedTheBreaker() {
        send(report("worker-a", BreakerEvent.Kind.TRANSITION, BreakerState.OPEN, BreakerCause.FAILURES, 5, 5, 0, 5, 0));
        BreakerEvent closed = report("worker-a", BreakerEvent.Kind.TRANSITION, BreakerState.CLOSED, BreakerCause.TRIAL_SUCCEEDED, 0, 6, 1, 5, 0);
        send(at(closed, T0.plusSeconds(61)));

        BreakerHealth latest = latestHealth();
        assertThat(latest.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(latest.recoveredAt()).isEqualTo(T0.plusSeconds(61));
        assertThat(latest.openedAt()).isNull();
    }

    @Test
    void shouldIgnoreAnOlderReportThanTheOneItHasFromTheSameRunOfAnInstance() {
        send(at(report("worker-a", BreakerEvent.Kind.TRANSITION, BreakerState.OPEN, BreakerCause.FAILURES, 5, 5, 0, 5, 0),
                T0.plusSeconds(2)));
        send(at(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 4, 4, 0, 0),
                T0.plusSeconds(1)));

        assertThat(latestHealth().state()).isEqualTo(BreakerState.OPEN);
    }

    @Test
    void shouldShowAnOperatorsOverrideAndWhoSetIt() {
        send(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 10, 10, 0, 0));
        control.pipeInput("llm_service", EventJson.encode(new BreakerOverride(1, "llm_service",
                BreakerOverride.Mode.FORCE_OPEN, "ops@bastion", T0, "LLM maintenance")));

        BreakerHealth forced = latestHealth();
        assertThat(forced.state()).isEqualTo(BreakerState.OPEN);
        assertThat(forced.override().mode()).isEqualTo(BreakerOverride.Mode.FORCE_OPEN);
        assertThat(forced.override().by()).isEqualTo("ops@bastion");

        control.pipeInput("llm_service", EventJson.encode(new BreakerOverride(1, "llm_service",
                BreakerOverride.Mode.AUTO, "ops@bastion", T0.plusSeconds(5), null)));
        BreakerHealth reset = latestHealth();
        assertThat(reset.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(reset.override()).isNull();
    }

    @Test
    void shouldDeadLetterMalformedEventsWithTheReasonAndCarryOn() {
        events.pipeInput("llm_service", "{not json".getBytes(StandardCharsets.UTF_8));
        events.pipeInput("llm_service", "{\"kind\":\"snapshot\",\"breaker\":\"llm_service\"}".getBytes(StandardCharsets.UTF_8));
        events.pipeInput(new TestRecord<>((String) null, EventJson.encode(report("worker-a", BreakerEvent.Kind.SNAPSHOT,
                BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 1, 1, 0, 0))));
        events.pipeInput("mongodb", EventJson.encode(report("worker-a", BreakerEvent.Kind.SNAPSHOT,
                BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 1, 1, 0, 0)));
        send(withLatency(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 1, 1, 0, 0),
                "bm90IGEgaGlzdG9ncmFt"));
        send(report("worker-a", BreakerEvent.Kind.TRANSITION, BreakerState.OPEN, BreakerCause.FAILURES, 5, 5, 0, 5, 0));

        List<TestRecord<String, byte[]>> letters = deadLetters.readRecordsToList();
        assertThat(letters).hasSize(5);
        assertThat(letters).allSatisfy(letter -> assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.REASON))
                .isEqualTo("malformed"));
        assertThat(WorkHeaders.text(letters.get(0).headers(), WorkHeaders.ERROR_MESSAGE)).contains("not valid JSON");
        assertThat(WorkHeaders.text(letters.get(1).headers(), WorkHeaders.ERROR_MESSAGE)).contains("instance");
        assertThat(WorkHeaders.text(letters.get(2).headers(), WorkHeaders.ERROR_MESSAGE)).contains("key is empty");
        assertThat(WorkHeaders.text(letters.get(3).headers(), WorkHeaders.ERROR_MESSAGE)).contains("'mongodb'");
        assertThat(WorkHeaders.text(letters.get(4).headers(), WorkHeaders.ERROR_MESSAGE)).contains("histogram");
        assertThat(WorkHeaders.text(letters.get(0).headers(), WorkHeaders.ORIGIN_TOPIC)).isEqualTo("breaker.events");
        assertThat(latestHealth().state()).as("the app carries on after poison").isEqualTo(BreakerState.OPEN);
    }

    @Test
    void shouldDropAHostsBreakerFromHealthOnceNoInstanceReportsItButKeepTheNamedOnes() {
        send(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 1, 1, 0, 0));
        for (int i = 0; i < 300; i++) {
            send(named(report("worker-a", BreakerEvent.Kind.SNAPSHOT, BreakerState.CLOSED, BreakerCause.HEALTHY, 0, 1,
                    0, 1, 0), "crawler:h" + i + ".invalid"));
        }
        health.readRecordsToList();

        driver.advanceWallClockTime(EXPIRY.plusSeconds(2));

        Map<String, byte[]> latest = new java.util.HashMap<>();
        health.readRecordsToList().forEach(record -> latest.put(record.key(), record.value()));
        assertThat(latest).hasSize(301);
        assertThat(latest).allSatisfy((breaker, value) -> {
            if (breaker.startsWith("crawler:")) {
                assertThat(value).as("a tombstone for %s", breaker).isNull();
            } else {
                assertThat(value).as("the named breaker stays").isNotNull();
            }
        });
        assertThat(HealthMetrics.shown()).filteredOn(health -> health.breaker().startsWith("crawler:")).isEmpty();
    }

    private static BreakerEvent named(BreakerEvent event, String breaker) {
        return new BreakerEvent(event.schemaVersion(), event.kind(), breaker, event.instance(), event.startedAt(),
                event.at(), event.state(), event.previousState(), event.cause(), event.failureCount(),
                event.failureThreshold(), event.openSeconds(), event.totalCalls(), event.successfulCalls(),
                event.failedCalls(), event.rejectedCalls(), event.lastSuccessAt(), event.lastFailureAt(),
                event.openedAt(), event.openUntil(), event.latencyWindowSeconds(), event.latency());
    }

    private void send(BreakerEvent event) {
        events.pipeInput(event.breaker(), EventJson.encode(event));
    }

    private BreakerHealth latestHealth() {
        List<TestRecord<String, byte[]>> records = health.readRecordsToList();
        assertThat(records).as("health records written").isNotEmpty();
        TestRecord<String, byte[]> last = records.get(records.size() - 1);
        assertThat(last.key()).isEqualTo("llm_service");
        return EventJson.decode(last.value(), BreakerHealth.class);
    }

    private static BreakerEvent report(String instance, BreakerEvent.Kind kind, BreakerState state, BreakerCause cause,
                                       long failures, long total, long successful, long failed, long rejected) {
        return new BreakerEvent(1, kind, "llm_service", instance, T0.minusSeconds(300), T0, state, null, cause,
                failures, 5, 60, total, successful, failed, rejected, successful > 0 ? T0.minusSeconds(1) : null,
                failed > 0 ? T0 : null, state == BreakerState.CLOSED ? null : T0,
                state == BreakerState.OPEN ? T0.plusSeconds(60) : null, null, null);
    }

    private static BreakerEvent withLatency(BreakerEvent event, String histogram) {
        return new BreakerEvent(event.schemaVersion(), event.kind(), event.breaker(), event.instance(), event.startedAt(),
                event.at(), event.state(), event.previousState(), event.cause(), event.failureCount(),
                event.failureThreshold(), event.openSeconds(), event.totalCalls(), event.successfulCalls(),
                event.failedCalls(), event.rejectedCalls(), event.lastSuccessAt(), event.lastFailureAt(),
                event.openedAt(), event.openUntil(), 60L, histogram);
    }

    private static BreakerEvent at(BreakerEvent event, Instant at) {
        return new BreakerEvent(event.schemaVersion(), event.kind(), event.breaker(), event.instance(), event.startedAt(),
                at, event.state(), event.previousState(), event.cause(), event.failureCount(),
                event.failureThreshold(), event.openSeconds(), event.totalCalls(), event.successfulCalls(),
                event.failedCalls(), event.rejectedCalls(), event.lastSuccessAt(), event.lastFailureAt(),
                event.openedAt(), event.openUntil(), event.latencyWindowSeconds(), event.latency());
    }

    private static String latencies(int count, long micros) {
        Histogram histogram = LatencyWindow.empty();
        histogram.recordValueWithCount(micros, count);
        return LatencyWindow.encode(histogram);
    }
}
