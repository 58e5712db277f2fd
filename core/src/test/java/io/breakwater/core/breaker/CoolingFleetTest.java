package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerState;

/** Review of issue 14: how the fleet's other instances resume after one instance's cooldown. */
class CoolingFleetTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final BreakerSettings SETTINGS = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
            Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(2));

    private final ManualClock clock = new ManualClock(NOW);
    private final List<BreakerEvent> events = new CopyOnWriteArrayList<>();
    private final BreakerPolicy policy = new BreakerPolicy(SETTINGS,
            new BreakerPolicy.Identity("worker-1", NOW.minusSeconds(600)), true, Duration.ofSeconds(60), clock);

    @Test
    void shouldResumeFullyNotAsATrialOnceTheCoolingInstanceReportsClosed() {
        policy.onEvent(events::add);
        policy.onClusterHealth(health(Map.of("worker-2", view(BreakerState.OPEN, BreakerCause.COOLING,
                NOW.plusSeconds(2)))));
        assertThat(policy.allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);

        clock.advance(Duration.ofSeconds(3));
        policy.onClusterHealth(health(Map.of("worker-2", view(BreakerState.CLOSED, BreakerCause.HEALTHY, null))));

        // The dependency never failed: nothing to try. Half-open lets one call through (the others are refused and
        // re-parked), and reports half_open/delay_elapsed, which isOwnEvidence: the rest of the fleet is held again.
        assertThat(events).as("no instance failed: no trial").noneSatisfy(event ->
                assertThat(event.state()).isEqualTo(BreakerState.HALF_OPEN));
        assertThat(policy.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(policy.allowance()).isEqualTo(BreakerPolicy.Allowance.ALL);
    }

    @Test
    void shouldCoolDownUntilTheLatestDeadlineAnyOtherInstanceReportsAndResumeRightThen() {
        policy.onClusterHealth(health(Map.of(
                "worker-2", view(BreakerState.OPEN, BreakerCause.COOLING, NOW.plusSeconds(2)),
                "worker-3", view(BreakerState.OPEN, BreakerCause.COOLING, NOW.plusSeconds(1)))));

        assertThat(policy.allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThat(policy.state()).isEqualTo(BreakerState.OPEN);
        assertThatThrownBy(() -> policy.call(() -> "answer"))
                .isInstanceOfSatisfying(BreakerOpenException.class, refused -> {
                    assertThat(refused.cooling()).as("a rate limit, to be waited out, not a failure").isTrue();
                    assertThat(refused.remainingOpen()).isEqualTo(Duration.ofSeconds(2));
                });

        clock.advance(Duration.ofMillis(2001));

        // No report since: the cooldown ended at its deadline, with no verdict to wait for.
        assertThat(policy.allowance()).isEqualTo(BreakerPolicy.Allowance.ALL);
        assertThat(policy.call(() -> "answer")).isEqualTo("answer");
    }

    private static BreakerHealth.InstanceView view(BreakerState state, BreakerCause cause, Instant openUntil) {
        return new BreakerHealth.InstanceView(state, cause, 0, 10, state == BreakerState.CLOSED ? null : NOW,
                openUntil, NOW.minusSeconds(300), NOW);
    }

    private BreakerHealth health(Map<String, BreakerHealth.InstanceView> instances) {
        boolean open = instances.values().stream().anyMatch(view -> view.state() == BreakerState.OPEN);
        return new BreakerHealth(1, "llm_service", open ? BreakerState.OPEN : BreakerState.CLOSED, !open, open, null,
                null, null, 0, 5, 0, 0, 0, 0, null, null, null, null, null, null, null, null, null, instances,
                clock.instant());
    }
}
