package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.health.LatencyWindow;

/**
 * How one instance's breaker follows the fleet's view and operators' overrides (handed in directly here). Time is a
 * {@link ManualClock} that the tests move; only Failsafe's own open delay (60 s here, never crossed) is real.
 */
class FleetBreakerTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final BreakerSettings SETTINGS = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
            Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(2));

    private final ManualClock clock = new ManualClock(NOW);
    private final AtomicInteger calls = new AtomicInteger();
    private final List<BreakerEvent> events = new CopyOnWriteArrayList<>();
    private final BreakerPolicy policy = policy("worker-1", NOW.minusSeconds(600));

    @Test
    void shouldRefuseCallsWhileAnotherInstanceHasFoundTheDependencyFailing() {
        policy.onClusterHealth(health(Map.of("worker-2", tripped(NOW.plusSeconds(50)))));

        assertThat(policy.state()).isEqualTo(BreakerState.OPEN);
        assertThat(policy.allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThatThrownBy(() -> policy.call(this::succeeding)).isInstanceOf(BreakerOpenException.class)
                .hasMessageContaining("on another instance");
        assertThat(calls).hasValue(0);
        assertThat(lastTransition().cause()).isEqualTo(BreakerCause.CLUSTER);
        assertThat(lastTransition().isTripped()).as("a follower is not evidence of its own").isFalse();
    }

    @Test
    void shouldPauseTooWhileAnotherInstanceCoolsDownAndCallAgainOnceItReportsClosed() {
        policy.onClusterHealth(health(Map.of("worker-2", view(BreakerState.OPEN, BreakerCause.COOLING, 0,
                NOW.plusSeconds(20)))));

        assertThat(policy.allowance()).as("a rate limit is the fleet's").isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThatThrownBy(() -> policy.call(this::succeeding)).isInstanceOf(BreakerOpenException.class);
        assertThat(calls).hasValue(0);

        clock.advance(Duration.ofSeconds(21));
        policy.onClusterHealth(health(Map.of("worker-2", view(BreakerState.CLOSED, BreakerCause.HEALTHY, 0, null))));
        assertThat(policy.call(this::succeeding)).isEqualTo("ok");
    }

    @Test
    void shouldNotFollowAnInstanceThatIsOnlyFollowingOthers() {
        policy.onClusterHealth(health(Map.of("worker-2", view(BreakerState.OPEN, BreakerCause.CLUSTER, 0, NOW.plusSeconds(50)))));

        assertThat(policy.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(policy.call(this::succeeding)).isEqualTo("ok");
    }

    @Test
    void shouldCloseAgainWhenTheInstanceTryingTheDependencyRecovered() {
        policy.onClusterHealth(health(Map.of("worker-2", tripped(NOW.plusSeconds(50)))));
        clock.advance(Duration.ofSeconds(1));
        policy.onClusterHealth(new BreakerHealth(1, "llm_service", BreakerState.CLOSED, true, false, null, null, null,
                0, 5, 0, 0, 0, 0, null, null, null, null, null, clock.instant(), null, null, null,
                Map.of("worker-2", view(BreakerState.CLOSED, BreakerCause.TRIAL_SUCCEEDED, 0, null)), clock.instant()));

        assertThat(policy.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(policy.call(this::succeeding)).isEqualTo("ok");
        assertThat(lastTransition().cause()).isEqualTo(BreakerCause.CLUSTER_RECOVERED);
    }

    @Test
    void shouldOpenWhenTheFleetsFailuresTogetherReachTheThreshold() {
        policy.onClusterHealth(health(Map.of("worker-2", view(BreakerState.CLOSED, BreakerCause.HEALTHY, 2, null),
                "worker-3", view(BreakerState.CLOSED, BreakerCause.HEALTHY, 1, null))));

        failOnce();
        assertThat(policy.breaker().isClosed()).as("3 + 1 of 5").isTrue();
        // The fleet's next view has counted this instance's failure too, so the next call need not wait for it.
        clock.advance(Duration.ofMillis(300));
        policy.onClusterHealth(health(Map.of("worker-1", ours(1), "worker-2", view(BreakerState.CLOSED,
                BreakerCause.HEALTHY, 2, null), "worker-3", view(BreakerState.CLOSED, BreakerCause.HEALTHY, 1, null))));
        failOnce();

        assertThat(policy.breaker().isOpen()).as("2 + 1 + 2 of 5").isTrue();
        assertThat(calls).hasValue(2);
        assertThat(lastTransition().cause()).isEqualTo(BreakerCause.FAILURES);
        assertThat(events).anySatisfy(event -> assertThat(event.kind()).isEqualTo(BreakerEvent.Kind.FAILURES));
    }

    @Test
    void shouldWaitForTheFleetToCountItsFailuresBeforeCallingAgain() throws InterruptedException {
        policy.onClusterHealth(health(Map.of("worker-2", view(BreakerState.CLOSED, BreakerCause.HEALTHY, 1, null))));
        failOnce();

        Thread next = new Thread(this::failOnce);
        next.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> next.getState() == Thread.State.TIMED_WAITING);
        assertThat(calls).as("waiting for the fleet's count, not calling").hasValue(1);
        clock.advance(FleetFollower.FLEET_SYNC);
        policy.fleetNewsApplied();
        next.join(5_000);

        assertThat(calls).as("the fleet said nothing within its time: the call went ahead").hasValue(2);
    }

    @Test
    void shouldRefuseTheNextCallWhenTheFleetCountedEnoughFailuresWhileItWaited() throws InterruptedException {
        policy.onClusterHealth(health(Map.of("worker-2", view(BreakerState.CLOSED, BreakerCause.HEALTHY, 1, null))));
        failOnce();

        Thread next = new Thread(this::failOnce);
        next.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> next.getState() == Thread.State.TIMED_WAITING);
        clock.advance(Duration.ofMillis(300));
        policy.onClusterHealth(health(Map.of("worker-1", ours(1), "worker-2", view(BreakerState.CLOSED,
                BreakerCause.HEALTHY, 4, null))));
        policy.fleetNewsApplied();
        next.join(5_000);

        assertThat(policy.breaker().isOpen()).as("1 here + 4 elsewhere of 5").isTrue();
        assertThat(calls).as("refused rather than one more failure").hasValue(1);
    }

    @Test
    void shouldTryItselfWhenTheInstanceItFollowedWentQuietPastItsTrialTime() {
        policy.onClusterHealth(health(Map.of("worker-2", tripped(NOW.plusSeconds(50)))));
        assertThat(policy.state()).isEqualTo(BreakerState.OPEN);

        // Its trial time plus the grace (the call timeout and 5 s) passes without a verdict.
        clock.advance(Duration.ofSeconds(61));
        policy.refresh();

        assertThat(policy.allowance()).isEqualTo(BreakerPolicy.Allowance.TRIAL);
        assertThat(policy.call(this::succeeding)).isEqualTo("ok");
        assertThat(policy.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(lastTransition().cause()).isEqualTo(BreakerCause.TRIAL_SUCCEEDED);
    }

    @Test
    void shouldLeaveTheTrialCallToTheInstanceDueFirst() {
        for (int i = 0; i < 5; i++) {
            failOnce();
        }
        assertThat(policy.breaker().isOpen()).isTrue();
        // Another instance opened earlier: its trial comes first, so this one waits for the verdict.
        policy.onClusterHealth(health(Map.of("worker-0", tripped(NOW.plusSeconds(1)),
                "worker-1", tripped(NOW.plusSeconds(60)))));

        assertThat(policy.allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThat(lastTransition().cause()).isEqualTo(BreakerCause.CLUSTER);
    }

    @Test
    void shouldStartOpenWhenItsPredecessorLeftTheBreakerOpen() {
        BreakerPolicy restarted = policy("worker-1", NOW);

        restarted.onClusterHealth(health(Map.of("worker-1", new BreakerHealth.InstanceView(BreakerState.OPEN,
                BreakerCause.FAILURES, 5, 5, NOW.minusSeconds(10), NOW.plusSeconds(50), NOW.minusSeconds(600),
                NOW.minusSeconds(10)))));

        assertThat(restarted.state()).isEqualTo(BreakerState.OPEN);
        assertThatThrownBy(() -> restarted.call(this::succeeding)).isInstanceOf(BreakerOpenException.class)
                .hasMessageContaining("since before this restart");
        assertThat(calls).hasValue(0);
    }

    @Test
    void shouldRefuseEveryCallWhileForcedOpenAndLetEveryCallThroughWhileDisabled() {
        policy.onOverride(new BreakerOverride(1, "llm_service", BreakerOverride.Mode.FORCE_OPEN, "ops@host", NOW, null));
        assertThatThrownBy(() -> policy.call(this::succeeding)).isInstanceOf(BreakerOpenException.class)
                .hasMessageContaining("by an operator (ops@host)");
        assertThat(lastTransition().cause()).isEqualTo(BreakerCause.OPERATOR);

        policy.onOverride(new BreakerOverride(1, "llm_service", BreakerOverride.Mode.DISABLED, "ops@host", NOW, null));
        for (int i = 0; i < 8; i++) {
            failOnce();
        }
        assertThat(policy.call(this::succeeding)).as("no breaker while disabled").isEqualTo("ok");
        assertThat(policy.snapshot().failedCalls()).as("still counted").isEqualTo(8);

        policy.onOverride(new BreakerOverride(1, "llm_service", BreakerOverride.Mode.AUTO, "ops@host", NOW, null));
        assertThat(policy.state()).isEqualTo(BreakerState.CLOSED);
    }

    @Test
    void shouldReportLatenciesAndCountsInItsSnapshot() {
        policy.call(this::succeeding);
        failOnce();

        BreakerEvent snapshot = policy.snapshot();

        assertThat(snapshot.kind()).isEqualTo(BreakerEvent.Kind.SNAPSHOT);
        assertThat(snapshot.totalCalls()).isEqualTo(2);
        assertThat(snapshot.successfulCalls()).isEqualTo(1);
        assertThat(snapshot.failedCalls()).isEqualTo(1);
        assertThat(snapshot.failureCount()).isEqualTo(1);
        assertThat(LatencyWindow.decode(snapshot.latency()).getTotalCount()).isEqualTo(2);
        assertThat(snapshot.instance()).isEqualTo("worker-1");
    }

    private BreakerPolicy policy(String instance, Instant startedAt) {
        BreakerPolicy breaker = new BreakerPolicy(SETTINGS, new BreakerPolicy.Identity(instance, startedAt), true,
                Duration.ofSeconds(60), clock);
        breaker.onEvent(events::add);
        return breaker;
    }

    private BreakerEvent lastTransition() {
        return events.stream().filter(event -> event.kind() == BreakerEvent.Kind.TRANSITION)
                .reduce((first, second) -> second).orElseThrow();
    }

    private void failOnce() {
        try {
            policy.call(() -> {
                calls.incrementAndGet();
                throw new DependencyUnavailableException("down");
            });
        } catch (DependencyUnavailableException | BreakerOpenException expected) {
            // a failure, or a refusal once open
        }
    }

    private String succeeding() {
        calls.incrementAndGet();
        return "ok";
    }

    /** This instance's own report, as the fleet's view carries it back. */
    private BreakerHealth.InstanceView ours(long failures) {
        return new BreakerHealth.InstanceView(BreakerState.CLOSED, BreakerCause.HEALTHY, failures, failures, null, null,
                NOW.minusSeconds(600), clock.instant());
    }

    private static BreakerHealth.InstanceView tripped(Instant openUntil) {
        return view(BreakerState.OPEN, BreakerCause.FAILURES, 5, openUntil);
    }

    private static BreakerHealth.InstanceView view(BreakerState state, BreakerCause cause, long failures, Instant openUntil) {
        return new BreakerHealth.InstanceView(state, cause, failures, 10, state == BreakerState.CLOSED ? null : NOW,
                openUntil, NOW.minusSeconds(300), NOW);
    }

    private BreakerHealth health(Map<String, BreakerHealth.InstanceView> instances) {
        boolean open = instances.values().stream().anyMatch(view -> view.state() == BreakerState.OPEN);
        return new BreakerHealth(1, "llm_service", open ? BreakerState.OPEN : BreakerState.CLOSED, !open, open, null,
                null, null, 0, 5, 0, 0, 0, 0, null, null, null, null, null, null, null, null, null, instances,
                clock.instant());
    }
}
