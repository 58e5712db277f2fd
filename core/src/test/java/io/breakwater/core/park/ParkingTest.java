package io.breakwater.core.park;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.WorkHeaders;

class ParkingTest {

    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");

    private final ParkSettings settings = new ParkSettings(2, Duration.ofSeconds(5), Duration.ofSeconds(60), 10);
    private final Parking parking = new Parking("qa.questions.parked", "qa.questions.dlq", settings,
            Clock.fixed(NOW, ZoneOffset.UTC));

    private static final Parking.Failure DOWN = new Parking.Failure("llm_service", true,
            new DependencyUnavailableException("the LLM answered HTTP 503"), Duration.ZERO);
    private static final Parking.Failure OPEN = new Parking.Failure("llm_service", false,
            new BreakerOpenException("llm_service", Duration.ofSeconds(42)), Duration.ofSeconds(42));

    @Test
    void shouldParkFreshWorkWithItsMetadataInHeaders() {
        Parking.Decision decision = parking.decide(record("qa.questions", 2, 17, new RecordHeaders()), DOWN);

        ProducerRecord<byte[], byte[]> parked = decision.record();
        assertThat(decision.deadLettered()).isFalse();
        assertThat(parked.topic()).isEqualTo("qa.questions.parked");
        assertThat(new String(parked.value(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"q\"}");
        assertThat(header(parked, WorkHeaders.REASON)).isEqualTo(Parking.REASON_DEPENDENCY_FAILED);
        assertThat(header(parked, WorkHeaders.BREAKER)).isEqualTo("llm_service");
        assertThat(header(parked, WorkHeaders.PARK_COUNT)).isEqualTo("1");
        assertThat(header(parked, WorkHeaders.PARKED_AT)).isEqualTo(NOW.toString());
        assertThat(header(parked, WorkHeaders.NOT_BEFORE)).isEqualTo(NOW.plusSeconds(5).toString());
        assertThat(header(parked, WorkHeaders.ERROR_CLASS)).isEqualTo(DependencyUnavailableException.class.getName());
        assertThat(header(parked, WorkHeaders.ERROR_MESSAGE)).isEqualTo("the LLM answered HTTP 503");
        assertThat(header(parked, WorkHeaders.ORIGIN_TOPIC)).isEqualTo("qa.questions");
        assertThat(header(parked, WorkHeaders.ORIGIN_PARTITION)).isEqualTo("2");
        assertThat(header(parked, WorkHeaders.ORIGIN_OFFSET)).isEqualTo("17");
    }

    @Test
    void shouldDoubleTheBackoffWithEachFailedAttemptAndKeepTheFirstOrigin() {
        Parking.Decision first = parking.decide(record("qa.questions", 0, 5, new RecordHeaders()), DOWN);
        Parking.Decision second = parking.decide(record("qa.questions.parked", 1, 99, first.record().headers()), DOWN);

        assertThat(second.failedAttempts()).isEqualTo(2);
        assertThat(second.notBefore()).isEqualTo(NOW.plusSeconds(10));
        assertThat(header(second.record(), WorkHeaders.ORIGIN_TOPIC)).isEqualTo("qa.questions");
        assertThat(header(second.record(), WorkHeaders.ORIGIN_OFFSET)).isEqualTo("5");
    }

    @Test
    void shouldNotCountAParkWhileTheBreakerWasOpenAndWaitOutItsOpenTime() {
        Headers once = parking.decide(record("qa.questions", 0, 5, new RecordHeaders()), DOWN).record().headers();

        Parking.Decision decision = parking.decide(record("qa.questions.parked", 0, 9, once), OPEN);

        assertThat(decision.failedAttempts()).isEqualTo(1);
        assertThat(header(decision.record(), WorkHeaders.REASON)).isEqualTo(Parking.REASON_BREAKER_OPEN);
        assertThat(decision.notBefore()).isEqualTo(NOW.plusSeconds(42));
    }

    @Test
    void shouldHonourARetryAfterLongerThanTheBackoff() {
        Parking.Failure limited = new Parking.Failure("llm_service", true,
                new DependencyUnavailableException("HTTP 429"), Duration.ofSeconds(30));

        assertThat(parking.decide(record("qa.questions", 0, 1, new RecordHeaders()), limited).notBefore())
                .isEqualTo(NOW.plusSeconds(30));
    }

    @Test
    void shouldDeadLetterWorkThatFailedMoreAttemptsThanTheLimit() {
        Headers headers = new RecordHeaders();
        WorkHeaders.set(headers, WorkHeaders.PARK_COUNT, "2");
        WorkHeaders.set(headers, WorkHeaders.ORIGIN_TOPIC, "qa.questions");
        WorkHeaders.set(headers, WorkHeaders.ORIGIN_PARTITION, "0");
        WorkHeaders.set(headers, WorkHeaders.ORIGIN_OFFSET, "3");

        Parking.Decision decision = parking.decide(record("qa.questions.parked", 0, 40, headers), DOWN);

        assertThat(decision.deadLettered()).isTrue();
        assertThat(decision.record().topic()).isEqualTo("qa.questions.dlq");
        assertThat(header(decision.record(), WorkHeaders.REASON)).isEqualTo(DeadLetters.REASON_PARK_LIMIT);
        assertThat(header(decision.record(), WorkHeaders.PARK_COUNT)).isEqualTo("3");
        assertThat(header(decision.record(), WorkHeaders.ERROR_MESSAGE))
                .isEqualTo("llm_service failed 3 attempts (park limit 2); last: the LLM answered HTTP 503");
        assertThat(header(decision.record(), WorkHeaders.ORIGIN_TOPIC)).isEqualTo("qa.questions");
        assertThat(header(decision.record(), WorkHeaders.ORIGIN_OFFSET)).isEqualTo("3");
    }

    @Test
    void shouldCapTheBackoff() {
        assertThat(settings.backoffAfter(1)).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.backoffAfter(3)).isEqualTo(Duration.ofSeconds(20));
        assertThat(settings.backoffAfter(30)).isEqualTo(Duration.ofSeconds(60));
    }

    private static ConsumerRecord<byte[], byte[]> record(String topic, int partition, long offset, Headers headers) {
        return new ConsumerRecord<>(topic, partition, offset, 0L, TimestampType.CREATE_TIME, 1, 8, "q".getBytes(),
                "{\"id\":\"q\"}".getBytes(StandardCharsets.UTF_8), headers, java.util.Optional.empty());
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        return WorkHeaders.text(record.headers(), name);
    }
}
