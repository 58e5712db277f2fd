package io.breakwater.core.park;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyGate;
import io.breakwater.core.pipeline.Admission;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.time.OutsideTime;

/**
 * When parked work may be replayed: only while its breaker lets calls through, one trial at a time while it is
 * half-open (or due to be), as many in hand as the input loop may have once it has closed (the worker threads bound
 * how many are handled at once; records waiting for their commit count too, so a bound of the thread count would
 * let one batch through per commit), nothing while it is open (here, for the fleet, or by an operator's hand); each record not before its not-before time; and no faster than the replay rate, so the
 * backlog does not knock the recovering dependency over again. Work behind one breaker ({@link #forBreaker}) is
 * admitted by that breaker's state; work behind a breaker per record ({@link #perRecord}, a crawler's breaker per
 * host) waits, record by record, while its own breaker is open. Used on one loop thread.
 */
public final class ReplayAdmission implements Admission {

    /**
     * The longest a partition holds before its next record is looked at again: a not-before far away (a header
     * written by hand, a clock that jumped) costs a look every half minute, never a wait that outlives its reason.
     */
    static final Duration MAX_HOLD = Duration.ofSeconds(30);
    /**
     * A not-before further ahead than this is not one Breakwater wrote (its waits are at most the park backoff, or
     * a clamped Retry-After): the record counts as due instead of holding its partition for a forger's century.
     */
    static final Duration MAX_NOT_BEFORE_AHEAD = Duration.ofDays(1);

    /** The breakers whose states shape the capacity; empty for a breaker per record (a crawler's host). */
    private final List<DependencyGate> shaping;
    private final Function<ConsumerRecord<byte[], byte[]>, ? extends DependencyGate> breakerOf;
    private final int capacity;
    private final RateLimiter rate;
    private final Clock clock;

    private ReplayAdmission(List<DependencyGate> shaping,
                            Function<ConsumerRecord<byte[], byte[]>, ? extends DependencyGate> breakerOf,
                            int capacity, RateLimiter rate, Clock clock) {
        this.shaping = List.copyOf(shaping);
        this.breakerOf = breakerOf;
        this.capacity = capacity;
        this.rate = rate;
        this.clock = clock;
    }

    /**
     * Replay of work that all goes through {@code breaker}.
     *
     * @param capacity records in hand at most while the breaker is closed
     */
    public ReplayAdmission(BreakerPolicy breaker, int capacity, RateLimiter rate, Clock clock) {
        this(List.of(breaker), record -> breaker, capacity, rate, clock);
    }

    /**
     * Replay of work parked behind any of {@code breakers}: each record is admitted by the breaker its
     * {@link WorkHeaders#BREAKER} header names, one that names none of them by {@code fallback}. Records behind an
     * open breaker wait while the others flow; while any of them is due a trial, records go one at a time.
     */
    public static ReplayAdmission byParkedBreaker(List<? extends DependencyGate> breakers, DependencyGate fallback,
                                                  int capacity, RateLimiter rate, Clock clock) {
        Map<String, DependencyGate> byName = new HashMap<>();
        breakers.forEach(breaker -> byName.put(breaker.name(), breaker));
        byName.putIfAbsent(fallback.name(), fallback);
        return new ReplayAdmission(List.copyOf(byName.values()), record -> byName.getOrDefault(
                WorkHeaders.text(record.headers(), WorkHeaders.BREAKER), fallback), capacity, rate, clock);
    }

    /** Replay of work each record of which goes through a breaker of its own: {@code breakerOf} says which. */
    public static ReplayAdmission perRecord(Function<ConsumerRecord<byte[], byte[]>, BreakerPolicy> breakerOf,
                                            int capacity, RateLimiter rate, Clock clock) {
        return new ReplayAdmission(List.of(), breakerOf, capacity, rate, clock);
    }

    @Override
    public int capacity() {
        if (shaping.isEmpty()) {
            return capacity;
        }
        boolean allShut = true;
        for (DependencyGate breaker : shaping) {
            BreakerPolicy.Allowance allowance = breaker.allowance();
            if (allowance == BreakerPolicy.Allowance.TRIAL) {
                return 1;
            }
            allShut &= allowance == BreakerPolicy.Allowance.NONE;
        }
        return allShut ? 0 : capacity;
    }

    /** The record's not-before, unless it is unreadable or further ahead than {@link #MAX_NOT_BEFORE_AHEAD}. */
    private Optional<Instant> notBefore(ConsumerRecord<byte[], byte[]> record, Instant now) {
        return WorkHeaders.instant(record.headers(), WorkHeaders.NOT_BEFORE)
                .filter(at -> !at.isAfter(OutsideTime.plusSaturated(now, MAX_NOT_BEFORE_AHEAD)));
    }

    @Override
    public boolean mustWait(ConsumerRecord<byte[], byte[]> record) {
        Instant now = clock.instant();
        Optional<Instant> notBefore = notBefore(record, now);
        if (notBefore.isPresent() && notBefore.get().isAfter(now)) {
            return true;
        }
        DependencyGate breaker = breakerOf.apply(record);
        return breaker != null && breaker.allowance() == BreakerPolicy.Allowance.NONE;
    }

    @Override
    public Duration holdFor(ConsumerRecord<byte[], byte[]> record) {
        Instant now = clock.instant();
        Optional<Instant> notBefore = notBefore(record, now);
        if (notBefore.isPresent() && notBefore.get().isAfter(now)) {
            return OutsideTime.clamp(Duration.between(now, notBefore.get()), MAX_HOLD);
        }
        DependencyGate breaker = breakerOf.apply(record);
        if (breaker != null && breaker.allowance() == BreakerPolicy.Allowance.NONE) {
            Duration wait = breaker.untilTrial();
            return wait.isZero() ? Duration.ofMillis(100) : OutsideTime.clamp(wait, MAX_HOLD);
        }
        return rate.tryTake();
    }
}
