package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.Dependencies;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerState;

/** A dependency that says "slow down" (HTTP 429) is paused for the time it asks, never counted as failing. */
class CoolingTest {

    private final ManualClock clock = new ManualClock(java.time.Instant.parse("2026-12-03T10:00:00Z"));
    private final BreakerPolicy breaker = new BreakerPolicy(Dependencies.LLM_SERVICE,
            new BreakerPolicy.Identity("qa-1", clock.instant()), false, Duration.ofSeconds(60), clock);
    private final AtomicInteger calls = new AtomicInteger();

    @Test
    void shouldRefuseCallsUntilTheTimeAskedForWithoutCountingAFailure() {
        assertThatThrownBy(() -> breaker.call(slowDown(Duration.ofSeconds(5))))
                .isInstanceOfSatisfying(BreakerOpenException.class, open -> {
                    assertThat(open.remainingOpen()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(open).hasMessageContaining("cooling down");
                });
        assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
        assertThat(breaker.snapshot().cause()).isEqualTo(BreakerCause.COOLING);
        assertThat(breaker.allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThat(breaker.callsByOutcome()).containsEntry("failure", 0L);

        assertThatThrownBy(() -> breaker.call(() -> calls.incrementAndGet())).isInstanceOf(BreakerOpenException.class);
        assertThat(calls).as("refused while cooling").hasValue(0);

        clock.advance(Duration.ofSeconds(5).plusMillis(1));
        assertThat(breaker.call(() -> calls.incrementAndGet())).as("resumes by itself").isEqualTo(1);
        assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
    }

    @Test
    void shouldNeverOpenFromRateLimitsAlone() {
        for (int i = 0; i < 20; i++) {
            try {
                breaker.call(slowDown(Duration.ofMillis(10)));
            } catch (BreakerOpenException e) {
                // cooling, for at least the shortest cooldown
            }
            clock.advance(BreakerPolicy.MIN_COOLDOWN.plusMillis(1));
        }
        assertThat(breaker.breaker().isClosed()).as("Failsafe's breaker counted no failure").isTrue();
        assertThat(breaker.call(() -> "answered")).isEqualTo("answered");
    }

    @Test
    void shouldKeepTheLatestDeadlineWhenAShorterOneComesLater() throws Exception {
        java.util.concurrent.CountDownLatch out = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        // A call already out when the first pause is asked for comes back later with a shorter one.
        Thread earlier = new Thread(() -> catchRefusal(() -> breaker.call(() -> {
            out.countDown();
            released.await();
            throw new DependencyCoolingException("HTTP 429", Duration.ofSeconds(2));
        })));
        earlier.start();
        out.await();
        catchRefusal(() -> breaker.call(slowDown(Duration.ofSeconds(30))));
        released.countDown();
        earlier.join();

        assertThat(breaker.untilTrial()).as("30 s asked first: a shorter deadline never shortens it")
                .isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void shouldCoolNoLongerThanTheBreakersOpenTime() {
        assertThatThrownBy(() -> breaker.call(slowDown(Duration.ofHours(1))))
                .isInstanceOfSatisfying(BreakerOpenException.class, open ->
                        assertThat(open.remainingOpen()).isEqualTo(Dependencies.LLM_SERVICE.openDuration()));
    }

    private static dev.failsafe.function.CheckedSupplier<Object> slowDown(Duration coolFor) {
        return () -> {
            throw new DependencyCoolingException("HTTP 429: rate limit reached", coolFor);
        };
    }

    private static void catchRefusal(Runnable call) {
        try {
            call.run();
        } catch (BreakerOpenException e) {
            // cooling
        }
    }
}
