package io.breakwater.crawler;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.breakwater.core.time.OutsideTime;

/**
 * Politeness: at most one request to a host per gap, however many jobs for it are in hand. A caller reserves the
 * host's next turn; a turn at most {@link #MAX_TURN_WAIT} away is granted and the caller waits for it itself,
 * outside any breaker; a turn further away is refused with how long it is, so the job can wait parked instead of
 * holding a worker thread (a {@code Crawl-delay: 30} must not take every thread to one host). Hosts are remembered
 * in a Caffeine cache bounded by {@link #MAX_HOSTS} and {@link #IDLE_EXPIRY}: a forgotten host only had a turn
 * long past. Thread-safe.
 */
final class HostPacer {

    /** The longest a worker thread waits for a host's turn; a later turn defers the job instead. */
    static final Duration MAX_TURN_WAIT = Duration.ofSeconds(2);
    /** Hosts whose turns are remembered, at most. */
    static final long MAX_HOSTS = 10_000;
    /**
     * A host not asked about for this long is forgotten: longer than any gap honoured (Crawl-delay is capped at
     * {@link RobotsRules#MAX_CRAWL_DELAY}), so forgetting never shortens one.
     */
    static final Duration IDLE_EXPIRY = Duration.ofMinutes(10);

    /**
     * A reservation.
     *
     * @param granted whether the turn is this caller's: it may send after {@code delay}
     * @param delay how long until the turn (granted) or until the host's next free turn (refused)
     */
    record Turn(boolean granted, Duration delay) {
    }

    private final LongSupplier nanoTime;
    private final Cache<String, Next> turns = Caffeine.newBuilder().maximumSize(MAX_HOSTS)
            .expireAfterAccess(IDLE_EXPIRY).build();

    HostPacer() {
        this(System::nanoTime);
    }

    HostPacer(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Reserves {@code host}'s next turn if it is at most {@code maxWait} away; the turn after it is then {@code gap}
     * later. Does not wait.
     */
    Turn reserve(String host, Duration gap, Duration maxWait) {
        Next next = turns.get(host.toLowerCase(Locale.ROOT), ignored -> new Next(nanoTime.getAsLong()));
        synchronized (next) {
            long now = nanoTime.getAsLong();
            long at = next.nanos - now > 0 ? next.nanos : now;
            Duration wait = Duration.ofNanos(at - now);
            if (wait.compareTo(maxWait) > 0) {
                return new Turn(false, wait);
            }
            next.nanos = OutsideTime.plusNanosSaturated(at, gap);
            return new Turn(true, wait);
        }
    }

    /** {@link #reserve} with {@link #MAX_TURN_WAIT}, then waits for a granted turn; the refused turn otherwise. */
    Optional<Duration> awaitTurn(String host, Duration gap) throws InterruptedException {
        Turn turn = reserve(host, gap, MAX_TURN_WAIT);
        if (!turn.granted()) {
            return Optional.of(turn.delay());
        }
        if (!turn.delay().isZero()) {
            TimeUnit.NANOSECONDS.sleep(turn.delay().toNanos());
        }
        return Optional.empty();
    }

    /**
     * A request to {@code host} is going out now: its next turn is at least {@code gap} away (for a gap learnt
     * only now, from its robots.txt, or a redirect within one fetch). Does not wait.
     */
    void sending(String host, Duration gap) {
        Next next = turns.get(host.toLowerCase(Locale.ROOT), ignored -> new Next(nanoTime.getAsLong()));
        synchronized (next) {
            sent(next, gap);
        }
    }

    /**
     * For a turn granted under a shorter gap than {@code gap}, learnt since (a first contact, whose robots.txt came
     * with a Crawl-delay): the request may go out now only if the host's last one went out at least {@code gap}
     * ago, and then it is marked as going out. Does not wait.
     *
     * @return empty if the request may go out now; how long until it may otherwise
     */
    Optional<Duration> claim(String host, Duration gap) {
        Next next = turns.get(host.toLowerCase(Locale.ROOT), ignored -> new Next(nanoTime.getAsLong()));
        synchronized (next) {
            if (next.sent) {
                long wait = OutsideTime.plusNanosSaturated(next.lastSentNanos, gap) - nanoTime.getAsLong();
                if (wait > 0) {
                    return Optional.of(Duration.ofNanos(wait));
                }
            }
            sent(next, gap);
            return Optional.empty();
        }
    }

    private void sent(Next next, Duration gap) {
        long now = nanoTime.getAsLong();
        next.sent = true;
        next.lastSentNanos = now;
        long earliest = OutsideTime.plusNanosSaturated(now, gap);
        if (earliest - next.nanos > 0) {
            next.nanos = earliest;
        }
    }

    /** Hosts remembered now (for tests and metrics). */
    long size() {
        turns.cleanUp();
        return turns.estimatedSize();
    }

    private static final class Next {
        private long nanos;
        private boolean sent;
        private long lastSentNanos;

        Next(long nanos) {
            this.nanos = nanos;
        }
    }
}
