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
class CoolingEndTest {

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
    void shouldNotReportTheEndOfACooldownAsASuccessfulTrial() {
        BreakerPolicy policy = policy(1, Duration.ofMillis(50));
        catchAny(() -> policy.call(CoolingEndTest::failing));
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
