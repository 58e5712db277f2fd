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

/** What a 429 is to the breaker: neither a failure nor a success, a pause that always paces, and no trial. */
class CoolingOutcomesTest {

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
        assertThatThrownBy(() -> policy.call(CoolingOutcomesTest::failing)).isInstanceOf(DependencyUnavailableException.class);
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
        catchAny(() -> policy.call(CoolingOutcomesTest::failing));
        catchAny(() -> policy.call(CoolingOutcomesTest::failing));
        catchAny(() -> policy.call(slowDown(Duration.ofSeconds(1))));
        clock.advance(Duration.ofSeconds(2));
        catchAny(() -> policy.call(CoolingOutcomesTest::failing));

        assertThat(policy.snapshot().failureCount()).as("what operators and the fleet are told").isEqualTo(3);
        assertThat(policy.breaker().isOpen()).as("3 consecutive failures of 3, the 429 counted as neither")
                .isTrue();
    }

    @Test
    void shouldNotReportTheEndOfACooldownAsASuccessfulTrial() {
        BreakerPolicy policy = policy(1, Duration.ofMillis(50));
        catchAny(() -> policy.call(CoolingOutcomesTest::failing));
        // Failsafe's own open delay runs on the system clock: wait for it to pass, on the condition.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> policy.breaker().getRemainingDelay().isZero());
        assertThat(policy.call(() -> "ok")).isEqualTo("ok"); // a real trial: closes with trial_succeeded
        assertThat(policy.state()).isEqualTo(BreakerState.CLOSED);
        events.clear();

        catchAny(() -> policy.call(slowDown(Duration.ofSeconds(1))));
        clock.advance(Duration.ofSeconds(2));
        policy.refresh();

        BreakerEvent end = events.stream().filter(event -> event.kind() == BreakerEvent.Kind.TRANSITION)
                .reduce((first, second) -> second).orElseThrow();
        assertThat(end.state()).isEqualTo(BreakerState.CLOSED);
        // BreakerFold folds a closed transition with trial_succeeded into recoveredAt, which closes every other
        // instance's breaker that opened before it (FleetFollower.follow), though no trial call was made.
        assertThat(end.cause()).as("the end of a cooldown is no trial").isNotEqualTo(BreakerCause.TRIAL_SUCCEEDED);
    }

    @Test
    void shouldCoolDownForAMomentAtLeastWhenA429AsksForNoWait() {
        BreakerPolicy policy = policy(5, Duration.ofSeconds(60));
        // Retry-After: 0, a negative one, or an HTTP date a skewed clock puts in the past: OpenAiAnswerer passes zero.
        catchAny(() -> policy.call(slowDown(Duration.ZERO)));

        // Otherwise nothing paces the fleet: the question is refused (not counted), parked with not-before "now",
        // replayed at once, rate-limited again, forever, at full speed.
        assertThat(policy.untilTrial()).as("a 429 paces: some cooldown, however short").isPositive();
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
