package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.BreakerState;

/**
 * Which state decides, and in what order: forced open, disabled, inherited from before a restart, held by the
 * fleet, and only then the local breaker. Time is a {@link ManualClock}; Failsafe's open delay (60 s) is never
 * crossed.
 */
class StateResolverTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Instant STARTED = NOW.minusSeconds(600);
    private static final BreakerSettings SETTINGS = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
            Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(2));
    /** How long followers wait past the trial time of the instance they follow: the call timeout and 5 s. */
    private static final Duration GRACE = Duration.ofSeconds(10);

    private final ManualClock clock = new ManualClock(NOW);
    private final CallStatistics statistics = new CallStatistics("llm_service", Duration.ofSeconds(60), clock);
    private final LocalBreaker local = new LocalBreaker(SETTINGS, clock, statistics, () -> { });
    private final FleetFollower fleet = new FleetFollower(SETTINGS, new BreakerPolicy.Identity("worker-1", STARTED),
            true, clock, local, statistics);
    private final StateResolver resolver = new StateResolver(local, fleet);

    @Test
    void shouldLeaveItToTheLocalBreakerWhenNothingElseDecides() {
        Effective state = resolver.resolve(clock.instant());

        assertThat(state).isInstanceOf(Effective.Local.class);
        assertThat(state.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(state.cause()).isEqualTo(BreakerCause.HEALTHY);
        assertThat(state.allowance()).isEqualTo(BreakerPolicy.Allowance.ALL);
        assertThat(state.refusal("llm_service", clock.instant(), SETTINGS.openDuration())).isEmpty();
    }

    @Test
    void shouldRefuseUntilTheTrialWhileTheLocalBreakerIsOpen() {
        local.trip("by the test");

        Effective state = resolver.resolve(clock.instant());

        assertThat(state).isInstanceOf(Effective.Local.class);
        assertThat(state.state()).isEqualTo(BreakerState.OPEN);
        assertThat(state.cause()).isEqualTo(BreakerCause.FAILURES);
        assertThat(state.allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThat(state.until()).isBetween(NOW.plusSeconds(50), NOW.plusSeconds(60));
        assertThat(state.refusal("llm_service", clock.instant(), SETTINGS.openDuration())).get()
                .extracting(Throwable::getMessage).asString().contains("is open after repeated failures");
    }

    @Test
    void shouldHoldOpenWhileAnotherInstanceTriesTheDependencyUntilItsTrialTimeAndAGrace() {
        fleet.follow(health(Map.of("worker-2", tripped(NOW.plusSeconds(50)))), false);

        Effective held = resolver.resolve(clock.instant());
        assertThat(held).isEqualTo(new Effective.Held(NOW.plusSeconds(50).plus(GRACE)));
        assertThat(held.state()).isEqualTo(BreakerState.OPEN);
        assertThat(held.cause()).isEqualTo(BreakerCause.CLUSTER);
        assertThat(held.isHold()).isTrue();
        assertThat(held.allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThat(held.refusal("llm_service", clock.instant(), SETTINGS.openDuration())).get()
                .extracting(Throwable::getMessage).asString().contains("on another instance");

        clock.advance(Duration.ofSeconds(50).plus(GRACE));
        assertThat(resolver.resolve(clock.instant())).as("no verdict in time").isInstanceOf(Effective.Local.class);
    }

    @Test
    void shouldNotHoldAnInstanceWhoseOwnTrialComesFirst() {
        local.trip("by the test");
        fleet.follow(health(Map.of("worker-2", tripped(NOW.plusSeconds(90)))), false);

        assertThat(resolver.resolve(clock.instant())).isInstanceOf(Effective.Local.class)
                .extracting(Effective::state).isEqualTo(BreakerState.OPEN);
    }

    @Test
    void shouldStartOpenUntilThePredecessorsTrialTime() {
        fleet.follow(health(Map.of("worker-1", predecessorOpenUntil(NOW.plusSeconds(50)))), false);

        Effective inherited = resolver.resolve(clock.instant());
        assertThat(inherited).isEqualTo(new Effective.Inherited(NOW.plusSeconds(50)));
        assertThat(inherited.cause()).isEqualTo(BreakerCause.FAILURES);
        assertThat(inherited.isHold()).isTrue();
        assertThat(inherited.refusal("llm_service", clock.instant(), SETTINGS.openDuration())).get()
                .extracting(Throwable::getMessage).asString().contains("since before this restart");

        // Past its open time, the predecessor's report counts as another instance's: its trial time gets the grace.
        clock.advance(Duration.ofSeconds(50));
        assertThat(resolver.resolve(clock.instant())).isEqualTo(new Effective.Held(NOW.plusSeconds(50).plus(GRACE)));
        clock.advance(GRACE);
        assertThat(resolver.resolve(clock.instant())).isInstanceOf(Effective.Local.class);
    }

    @Test
    void shouldPutThePredecessorsOpenTimeBeforeAnotherInstancesHold() {
        fleet.follow(health(Map.of("worker-1", predecessorOpenUntil(NOW.plusSeconds(50)),
                "worker-2", tripped(NOW.plusSeconds(40)))), false);

        assertThat(resolver.resolve(clock.instant())).isEqualTo(new Effective.Inherited(NOW.plusSeconds(50)));
    }

    @Test
    void shouldLetEveryCallThroughUnguardedWhileDisabledWhateverTheFleetAndTheLocalBreakerSay() {
        local.trip("by the test");
        fleet.follow(health(Map.of("worker-1", predecessorOpenUntil(NOW.plusSeconds(50)),
                "worker-2", tripped(NOW.plusSeconds(40)))), false);
        BreakerOverride disabled = override(BreakerOverride.Mode.DISABLED);

        resolver.override(disabled);
        Effective state = resolver.resolve(clock.instant());

        assertThat(state).isEqualTo(new Effective.Disabled(disabled));
        assertThat(state.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(state.cause()).isEqualTo(BreakerCause.OPERATOR);
        assertThat(state.allowance()).isEqualTo(BreakerPolicy.Allowance.ALL);
        assertThat(state.guarded()).isFalse();
        assertThat(state.refusal("llm_service", clock.instant(), SETTINGS.openDuration())).isEmpty();
    }

    @Test
    void shouldRefuseEveryCallWhileForcedOpenWhateverTheFleetAndTheLocalBreakerSay() {
        fleet.follow(health(Map.of("worker-2", tripped(NOW.plusSeconds(40)))), false);
        BreakerOverride forced = override(BreakerOverride.Mode.FORCE_OPEN);

        resolver.override(forced);
        Effective state = resolver.resolve(clock.instant());

        assertThat(state).isEqualTo(new Effective.ForcedOpen(forced));
        assertThat(state.state()).isEqualTo(BreakerState.OPEN);
        assertThat(state.cause()).isEqualTo(BreakerCause.OPERATOR);
        assertThat(state.until()).as("no trial time of its own").isNull();
        assertThat(state.allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThat(state.refusal("llm_service", clock.instant(), SETTINGS.openDuration())).get()
                .extracting(Throwable::getMessage).asString().contains("by an operator (ops@host)");
    }

    @Test
    void shouldHandBackToTheFleetAndTheLocalBreakerWhenTheOperatorSetsAuto() {
        fleet.follow(health(Map.of("worker-2", tripped(NOW.plusSeconds(40)))), false);
        resolver.override(override(BreakerOverride.Mode.FORCE_OPEN));

        resolver.override(override(BreakerOverride.Mode.AUTO));

        assertThat(resolver.isOverridden()).isFalse();
        assertThat(resolver.resolve(clock.instant())).isEqualTo(new Effective.Held(NOW.plusSeconds(40).plus(GRACE)));
    }

    private static BreakerOverride override(BreakerOverride.Mode mode) {
        return new BreakerOverride(1, "llm_service", mode, "ops@host", NOW, null);
    }

    private static BreakerHealth.InstanceView tripped(Instant openUntil) {
        return new BreakerHealth.InstanceView(BreakerState.OPEN, BreakerCause.FAILURES, 5, 10, NOW, openUntil,
                NOW.minusSeconds(300), NOW);
    }

    /** This instance's report from before its restart: same id, an earlier start. */
    private static BreakerHealth.InstanceView predecessorOpenUntil(Instant openUntil) {
        return new BreakerHealth.InstanceView(BreakerState.OPEN, BreakerCause.FAILURES, 5, 5, NOW.minusSeconds(10),
                openUntil, STARTED.minusSeconds(3600), NOW.minusSeconds(10));
    }

    private BreakerHealth health(Map<String, BreakerHealth.InstanceView> instances) {
        return new BreakerHealth(1, "llm_service", BreakerState.OPEN, false, true, null, null, null, 0, 5, 0, 0, 0, 0,
                null, null, null, null, null, null, null, null, null, instances, clock.instant());
    }
}
