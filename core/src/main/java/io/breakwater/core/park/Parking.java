package io.breakwater.core.park;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.time.OutsideTime;

/**
 * Where work goes when its dependency fails: back onto the parked topic with its metadata in headers, to be
 * replayed once the dependency recovers and not before its backoff; or, once it has failed more attempts than the
 * park limit allows, to the dead-letter topic. Every worker parks through here. Thread-safe.
 */
public final class Parking {

    /** The breaker was open: no attempt was made, so the work's failed attempts do not grow. */
    public static final String REASON_BREAKER_OPEN = "breaker-open";
    /** An attempt reached the dependency and failed (retries exhausted). */
    public static final String REASON_DEPENDENCY_FAILED = "dependency-failed";

    /**
     * Why work could not be done.
     *
     * @param breaker the breaker of the dependency that failed
     * @param attempted whether the dependency was called (and failed), as opposed to refused by an open breaker
     * @param delay how long the dependency asked us to wait ({@code Retry-After}), or the breaker's remaining open time
     */
    public record Failure(String breaker, boolean attempted, Throwable error, Duration delay) {

        public Failure {
            Objects.requireNonNull(breaker, "breaker");
            Objects.requireNonNull(error, "error");
            delay = delay == null || delay.isNegative() ? Duration.ZERO : delay;
        }

        /**
         * A call through {@code breaker} that failed ({@link DependencyUnavailableException}, counted towards the
         * park limit, with its {@code Retry-After}) or was refused ({@link BreakerOpenException}, not counted).
         */
        public static Failure of(BreakerPolicy breaker, RuntimeException error) {
            if (error instanceof DependencyUnavailableException unavailable) {
                return new Failure(breaker.name(), true, error, unavailable.retryAfter().orElse(Duration.ZERO));
            }
            return refused(breaker, error);
        }

        /**
         * As {@link #of}, but never counted: for a dependency whose outage is not the work's fault (its store). A
         * failed call waits out the breaker's open time.
         */
        public static Failure notTheWorksFault(BreakerPolicy breaker, RuntimeException error) {
            return error instanceof DependencyUnavailableException
                    ? new Failure(breaker.name(), false, error, breaker.settings().openDuration())
                    : refused(breaker, error);
        }

        private static Failure refused(BreakerPolicy breaker, RuntimeException error) {
            Duration remaining = error instanceof BreakerOpenException open ? open.remainingOpen() : Duration.ZERO;
            return new Failure(breaker.name(), false, error, remaining);
        }

        String reason() {
            return attempted ? REASON_DEPENDENCY_FAILED : REASON_BREAKER_OPEN;
        }
    }

    /**
     * What became of the work.
     *
     * @param record the parked record, or the dead letter
     * @param deadLettered whether it went to the dead-letter topic
     * @param failedAttempts its failed attempts so far, this one included
     * @param notBefore when it may be tried again (parked work only)
     */
    public record Decision(ProducerRecord<byte[], byte[]> record, boolean deadLettered, int failedAttempts,
                           Instant notBefore) {
    }

    private final String parkedTopic;
    private final String deadLetterTopic;
    private final ParkSettings settings;
    private final Clock clock;

    public Parking(String parkedTopic, String deadLetterTopic, ParkSettings settings, Clock clock) {
        this.parkedTopic = parkedTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.settings = settings;
        this.clock = clock;
    }

    public String parkedTopic() {
        return parkedTopic;
    }

    public ParkSettings settings() {
        return settings;
    }

    /** How many attempts of this work have failed before, per its headers (0 for fresh work). */
    public static int failedAttempts(ConsumerRecord<byte[], byte[]> record) {
        return Math.max(0, WorkHeaders.integer(record.headers(), WorkHeaders.PARK_COUNT, 0));
    }

    /** Parks {@code record} after {@code failure}, or dead-letters it if that was one failed attempt too many. */
    public Decision decide(ConsumerRecord<byte[], byte[]> record, Failure failure) {
        int failedAttempts = failedAttempts(record) + (failure.attempted() ? 1 : 0);
        String message = String.valueOf(failure.error().getMessage());
        if (failure.attempted() && failedAttempts > settings.limit()) {
            ProducerRecord<byte[], byte[]> letter = DeadLetters.of(record, deadLetterTopic, DeadLetters.REASON_PARK_LIMIT,
                    failure.error().getClass().getName(), failure.breaker() + " failed " + failedAttempts
                            + " attempts (park limit " + settings.limit() + "); last: " + message);
            WorkHeaders.set(letter.headers(), WorkHeaders.BREAKER, failure.breaker());
            WorkHeaders.set(letter.headers(), WorkHeaders.PARK_COUNT, Integer.toString(failedAttempts));
            return new Decision(letter, true, failedAttempts, null);
        }
        Instant now = clock.instant();
        // A dependency's own delay (its Retry-After) counts up to the longest backoff: a site that says "come back in
        // three hundred years" is tried again then, not parked for good.
        Duration asked = OutsideTime.clamp(failure.delay(), settings.maxBackoff());
        Duration wait = failure.attempted() ? max(settings.backoffAfter(failedAttempts), asked) : asked;
        Instant notBefore = OutsideTime.plusSaturated(now, wait);
        Headers headers = WorkHeaders.copy(record.headers(), true);
        WorkHeaders.setOriginIfAbsent(headers, record.topic(), record.partition(), record.offset());
        WorkHeaders.set(headers, WorkHeaders.REASON, failure.reason());
        WorkHeaders.set(headers, WorkHeaders.BREAKER, failure.breaker());
        WorkHeaders.set(headers, WorkHeaders.PARK_COUNT, Integer.toString(failedAttempts));
        WorkHeaders.set(headers, WorkHeaders.PARKED_AT, now.toString());
        WorkHeaders.set(headers, WorkHeaders.NOT_BEFORE, notBefore.toString());
        WorkHeaders.set(headers, WorkHeaders.ERROR_CLASS, failure.error().getClass().getName());
        WorkHeaders.set(headers, WorkHeaders.ERROR_MESSAGE, message);
        return new Decision(new ProducerRecord<>(parkedTopic, null, record.key(), record.value(), headers), false,
                failedAttempts, notBefore);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
