package io.breakwater.core.park;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.pipeline.WorkHeaders;

class ReplayAdmissionTest {

    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");

    private final BreakerPolicy breaker = new BreakerPolicy(Dependencies.LLM_SERVICE);
    private final AtomicLong nanos = new AtomicLong();
    private final ReplayAdmission admission = new ReplayAdmission(breaker, 8, new RateLimiter(2, nanos::get),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void shouldReplayAtFullConcurrencyOnlyWhileTheBreakerIsClosed() {
        assertThat(admission.capacity()).isEqualTo(8);

        breaker.breaker().open();
        assertThat(admission.capacity()).as("open").isZero();

        breaker.breaker().halfOpen();
        assertThat(admission.capacity()).as("half-open: one trial call at a time").isEqualTo(1);

        breaker.breaker().close();
        assertThat(admission.capacity()).isEqualTo(8);
    }

    @Test
    void shouldHoldARecordUntilItsNotBeforeTime() {
        Headers headers = new RecordHeaders();
        WorkHeaders.set(headers, WorkHeaders.NOT_BEFORE, NOW.plusSeconds(3).toString());

        assertThat(admission.holdFor(record(headers))).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void shouldReplayNoFasterThanTheRate() {
        Headers due = new RecordHeaders();
        WorkHeaders.set(due, WorkHeaders.NOT_BEFORE, NOW.minusSeconds(1).toString());

        assertThat(admission.holdFor(record(due))).isZero();
        assertThat(admission.holdFor(record(due))).isEqualTo(Duration.ofMillis(500));

        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertThat(admission.holdFor(record(due))).isZero();
    }

    @Test
    void shouldAdmitEachParkedRecordByTheBreakerItsHeaderNames() {
        BreakerPolicy store = new BreakerPolicy(Dependencies.MONGODB);
        ReplayAdmission byHeader = ReplayAdmission.byParkedBreaker(java.util.List.of(breaker, store), breaker, 8,
                new RateLimiter(1_000, nanos::get), Clock.fixed(NOW, ZoneOffset.UTC));
        Headers parkedForTheLlm = parkedBy("llm_service");
        Headers parkedForTheStore = parkedBy("mongodb");
        Headers parkedForAStranger = parkedBy("no_such_breaker");

        breaker.breaker().open();
        assertThat(byHeader.capacity()).as("the store's work may still flow").isEqualTo(8);
        assertThat(byHeader.mustWait(record(parkedForTheLlm))).isTrue();
        assertThat(byHeader.holdFor(record(parkedForTheLlm))).isPositive();
        assertThat(byHeader.mustWait(record(parkedForTheStore))).as("not held by the LLM's breaker").isFalse();
        assertThat(byHeader.mustWait(record(parkedForAStranger))).as("an unknown name: the fallback").isTrue();
        assertThat(byHeader.mustWait(record(new RecordHeaders()))).as("no name: the fallback").isTrue();

        store.breaker().open();
        assertThat(byHeader.capacity()).as("every breaker open").isZero();

        breaker.breaker().close();
        store.breaker().halfOpen();
        assertThat(byHeader.capacity()).as("one of them due a trial: one at a time").isEqualTo(1);
        assertThat(byHeader.mustWait(record(parkedForTheLlm))).isFalse();
    }

    private static Headers parkedBy(String breaker) {
        Headers headers = new RecordHeaders();
        WorkHeaders.set(headers, WorkHeaders.BREAKER, breaker);
        return headers;
    }

    private static ConsumerRecord<byte[], byte[]> record(Headers headers) {
        return new ConsumerRecord<>("qa.questions.parked", 0, 0L, 0L, TimestampType.CREATE_TIME, 1, 1, "q".getBytes(),
                "{}".getBytes(StandardCharsets.UTF_8), headers, java.util.Optional.empty());
    }
}
