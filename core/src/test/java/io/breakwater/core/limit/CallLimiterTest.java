package io.breakwater.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class CallLimiterTest {

    private final long[] now = {0};

    @Test
    void shouldRefuseAPermitPastTheLimitOnceTheWaitIsOver() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 2, () -> now[0]);

        assertThat(limiter.acquire(Duration.ZERO)).isPresent();
        assertThat(limiter.acquire(Duration.ZERO)).isPresent();
        assertThat(limiter.acquire(Duration.ofMillis(1))).isEmpty();
        assertThat(limiter.inFlight()).isEqualTo(2);
    }

    @Test
    void shouldHandAFreedPermitToAWaitingCaller() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 1, () -> now[0]);
        CallLimiter.Permit first = limiter.acquire(Duration.ZERO).orElseThrow();
        CompletableFuture<Optional<CallLimiter.Permit>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return limiter.acquire(Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });

        first.ignored();

        assertThat(waiting.get(30, TimeUnit.SECONDS)).isPresent();
        assertThat(limiter.inFlight()).isEqualTo(1);
    }

    @Test
    void shouldCountAPermitEndedTwiceOnce() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 4, () -> now[0]);
        CallLimiter.Permit permit = limiter.acquire(Duration.ZERO).orElseThrow();
        limiter.acquire(Duration.ZERO).orElseThrow();

        permit.rateLimited();
        permit.rateLimited();
        permit.succeeded();

        assertThat(limiter.inFlight()).isEqualTo(1);
        assertThat(limiter.rateLimitedCalls()).isEqualTo(1);
    }

    @Test
    void shouldDoubleItsLimitEachRoundTripUntilTheDependencySaysTooMany() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 1000, () -> now[0]);

        for (int round = 0; round < 3; round++) {
            List<CallLimiter.Permit> permits = takeAll(limiter);
            now[0] += TimeUnit.MILLISECONDS.toNanos(250);
            permits.forEach(CallLimiter.Permit::succeeded);
        }

        assertThat(limiter.limit()).isEqualTo(CallLimiter.INITIAL_LIMIT * 8);
    }

    @Test
    void shouldComeDownOnceForARoundTripWhoseCallsWereAllRefused() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 1000, () -> now[0]);
        List<CallLimiter.Permit> permits = takeAll(limiter);
        now[0] += TimeUnit.MILLISECONDS.toNanos(250);
        permits.forEach(CallLimiter.Permit::succeeded); // 16
        permits = takeAll(limiter);

        now[0] += TimeUnit.MILLISECONDS.toNanos(5);
        java.util.Collections.reverse(permits);
        permits.forEach(CallLimiter.Permit::rateLimited);

        // 16 were in flight when the last was sent, and it was refused first: 15 is what it takes, and the limit goes to 90 % of that.
        assertThat(limiter.limit()).isEqualTo(13);
        assertThat(limiter.rateLimitedCalls()).isEqualTo(16);
    }

    @Test
    void shouldLeaveTheLimitAloneForCallsThatSayNothingOfCapacity() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 1000, () -> now[0]);
        List<CallLimiter.Permit> permits = takeAll(limiter);

        now[0] += TimeUnit.SECONDS.toNanos(30);
        permits.forEach(CallLimiter.Permit::ignored);

        assertThat(limiter.limit()).isEqualTo(CallLimiter.INITIAL_LIMIT);
        assertThat(limiter.inFlight()).isZero();
    }

    private static List<CallLimiter.Permit> takeAll(CallLimiter limiter) throws InterruptedException {
        List<CallLimiter.Permit> permits = new ArrayList<>();
        Optional<CallLimiter.Permit> permit;
        while ((permit = limiter.acquire(Duration.ZERO)).isPresent()) {
            permits.add(permit.get());
        }
        return permits;
    }
}
