package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerState;

/** Review of issue 14's cooldowns: a 429 is "not a failure, and not a success either". */
class CoolingTrialTest {

    private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");

    private final ManualClock clock = new ManualClock(NOW);
    private final List<BreakerEvent> events = new CopyOnWriteArrayList<>();

    private BreakerPolicy policy(int failures, Duration open) {
        BreakerPolicy policy = new BreakerPolicy(new BreakerSettings("llm_service", failures, 1, open,
                Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(2)),
                new BreakerPolicy.Identity("qa-1", NOW), false, Duration.ofSeconds(60), clock);
        policy.onEvent(events::add);
        return policy;
    }

    @Test
    void shouldNotCloseAHalfOpenBreakerWhenItsTrialCallIsRateLimited() {
        BreakerPolicy policy = policy(1, Duration.ofMillis(50));
        assertThatThrownBy(() -> policy.call(CoolingTrialTest::failing)).isInstanceOf(DependencyUnavailableException.class);
        assertThat(policy.breaker().isOpen()).isTrue();
        // Failsafe's own open delay runs on the system clock: wait for it to pass, on the condition.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> policy.breaker().getRemainingDelay().isZero());
        events.clear();

        assertThatThrownBy(() -> policy.call(slowDown(Duration.ofSeconds(5)))).isInstanceOf(BreakerOpenException.class);

        assertThat(events).as("a 429 on the trial is no proof of health: no trial_succeeded for the fleet to fold as"
                + " a recovery").noneSatisfy(event -> assertThat(event.cause()).isEqualTo(BreakerCause.TRIAL_SUCCEEDED));
        assertThat(policy.breaker().isClosed()).as("Failsafe's breaker must not count the 429 as a success").isFalse();

        // Nor may the trial's permit be lost: a later trial goes through once the open time is over again.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> "ok".equals(policy.call(() -> "ok")));
        assertThat(policy.breaker().isClosed()).isTrue();
    }

    @Test
    void shouldNotResetTheCountOfConsecutiveFailuresOnA429() {
        BreakerPolicy policy = policy(3, Duration.ofSeconds(60));
        catchAny(() -> policy.call(CoolingTrialTest::failing));
        catchAny(() -> policy.call(CoolingTrialTest::failing));
        catchAny(() -> policy.call(slowDown(Duration.ofSeconds(1))));
        clock.advance(Duration.ofSeconds(2));
        catchAny(() -> policy.call(CoolingTrialTest::failing));

        assertThat(policy.snapshot().failureCount()).as("what operators and the fleet are told").isEqualTo(3);
        assertThat(policy.breaker().isOpen()).as("3 consecutive failures of 3, the 429 counted as neither")
                .isTrue();
    }

    private static Object failing() {
        throw new DependencyUnavailableException("HTTP 500");
    }

    private static dev.failsafe.function.CheckedSupplier<Object> slowDown(Duration coolFor) {
        return () -> {
            throw new DependencyCoolingException("HTTP 429: rate limit reached", coolFor);
        };
    }

    private static void catchAny(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            // expected
        }
    }
}
