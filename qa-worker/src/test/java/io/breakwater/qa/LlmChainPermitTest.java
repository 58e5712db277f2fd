package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.limit.CallLimiter;
import io.breakwater.core.park.ParkSettings;
import io.breakwater.core.park.Parking;
import io.breakwater.core.pipeline.WorkHeaders;

/** A question that waits for a call slot and gets none was refused, not failed: it never counts as an LLM failure. */
class LlmChainPermitTest {

    /** callTimeout 50 ms: the longest a question waits for a permit. */
    private static final BreakerSettings FIGURES = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
            Duration.ofMillis(50), 0, Duration.ofMillis(500), Duration.ofSeconds(8));

    @Test
    void shouldParkAQuestionThatNeverGotAPermitWithoutCountingItTowardsTheParkLimit() throws Exception {
        // Found by a hostile review: it was dead-lettered as "the AI service failed" after five such waits.
        BreakerPolicy breaker = new BreakerPolicy(FIGURES);
        CallLimiter limiter = new CallLimiter("llm_service", 1, System::nanoTime);
        CallLimiter.Permit held = limiter.acquire(Duration.ZERO).orElseThrow();
        AtomicInteger calls = new AtomicInteger();
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(breaker, limiter, (question, context) -> {
            calls.incrementAndGet();
            return new Answer("Because.", List.of(), new AnsweredBy(AnsweredBy.LLM, "main"));
        })));

        BreakerOpenException refused = catchThrowableOfType(() -> chain.answer("Why?", List.of()),
                BreakerOpenException.class);
        held.succeeded();

        assertThat(calls).hasValue(0);
        assertThat(refused).as("refused after waiting for a permit").isNotNull();
        assertThat(refused.getMessage()).contains("stayed in flight for 50 ms");
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("qa.questions.parked", 0, 0, null, new byte[0]);
        WorkHeaders.set(record.headers(), WorkHeaders.PARK_COUNT, "5");
        Parking parking = new Parking("qa.questions.parked", "qa.questions.dlq",
                new ParkSettings(5, Duration.ofSeconds(1), Duration.ofSeconds(60), Double.POSITIVE_INFINITY),
                Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        assertThat(parking.decide(record, Parking.Failure.of(breaker, refused)).deadLettered())
                .as("parked again, at its fifth park").isFalse();
    }
}
