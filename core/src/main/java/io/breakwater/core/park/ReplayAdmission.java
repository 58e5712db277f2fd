package io.breakwater.core.park;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.pipeline.Admission;
import io.breakwater.core.pipeline.WorkHeaders;

/**
 * When parked work may be replayed: only while its breaker lets calls through, one trial at a time while it is
 * half-open (or due to be), the full concurrency once it has closed, nothing while it is open (here, for the fleet,
 * or by an operator's hand); each record not
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
        return switch (breaker.allowance()) {
            case ALL -> concurrency;
            case TRIAL -> 1;
            case NONE -> 0;
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
