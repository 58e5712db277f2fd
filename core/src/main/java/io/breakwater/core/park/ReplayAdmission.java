package io.breakwater.core.park;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.failsafe.CircuitBreaker;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.pipeline.Admission;
import io.breakwater.core.pipeline.WorkHeaders;

/**
 * When parked work may be replayed: only while its breaker lets calls through, one trial at a time while it is
 * half-open (or due to be), the full concurrency once it has closed, nothing while it is open; each record not
 * before its not-before time; and no faster than the replay rate, so the backlog does not knock the recovering
 * dependency over again. Used on one loop thread.
 */
public final class ReplayAdmission implements Admission {

    private final BreakerPolicy breaker;
    private final int concurrency;
    private final RateLimiter rate;
    private final Clock clock;

    public ReplayAdmission(BreakerPolicy breaker, int concurrency, RateLimiter rate, Clock clock) {
        this.breaker = breaker;
        this.concurrency = concurrency;
        this.rate = rate;
        this.clock = clock;
    }

    @Override
    public int capacity() {
        CircuitBreaker<Object> state = breaker.breaker();
        return switch (state.getState()) {
            case CLOSED -> concurrency;
            case HALF_OPEN -> 1;
            // Failsafe half-opens lazily, on the first call after the delay: that call is our trial.
            case OPEN -> state.getRemainingDelay().isZero() ? 1 : 0;
        };
    }

    @Override
    public Duration holdFor(ConsumerRecord<byte[], byte[]> record) {
        Optional<Instant> notBefore = WorkHeaders.instant(record.headers(), WorkHeaders.NOT_BEFORE);
        Instant now = clock.instant();
        if (notBefore.isPresent() && notBefore.get().isAfter(now)) {
            return Duration.between(now, notBefore.get());
        }
        return rate.tryTake();
    }
}
