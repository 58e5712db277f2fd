package io.breakwater.core.breaker;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.BreakerState;

/**
 * The state of a breaker as its callers and operators see it: one of five explicit states, each of which knows what
 * it shows ({@link #state}, {@link #cause}), what it lets through ({@link #allowance}) and why it refuses a call.
 * {@link StateResolver} picks one, in this order of precedence:
 * <ol>
 * <li>{@link ForcedOpen}: an operator forced the breaker open; every call is refused.
 * <li>{@link Disabled}: an operator disabled it; every call goes through unguarded, and is still counted.
 * <li>{@link Inherited}: this instance's predecessor (same id, before a restart) left it open; calls are refused
 *     until the predecessor's trial time.
 * <li>{@link Held}: another instance found the dependency failing and tries it first; calls are refused until its
 *     verdict, or until its trial time plus a grace.
 * <li>{@link Cooling}: the dependency asked this instance to slow down (a 429) until {@code until}; calls are
 *     refused until then, and none of it counts as a failure. Shown as open, with the cause {@code cooling}.
 * <li>{@link Local}: none of the above; this instance's Failsafe breaker decides, closed, half-open or open.
 * </ol>
 * Immutable: each value is the state at the moment it was resolved.
 */
sealed interface Effective {

    BreakerState state();

    BreakerCause cause();

    /** When a trial call may go, while open; null when closed or half-open, or when no time is set (forced open). */
    Instant until();

    /** Whether the fleet decided this state (a hold, or our predecessor's open breaker), not this instance. */
    default boolean isHold() {
        return false;
    }

    /** Whether calls go through the local breaker (its permits and its count); false only while disabled. */
    default boolean guarded() {
        return true;
    }

    /** What may go through now. */
    BreakerPolicy.Allowance allowance();

    /**
     * Why a call is refused now, or empty if it may go on to the local breaker (which may still refuse it: a
     * half-open breaker lets only its trial calls through).
     */
    Optional<BreakerOpenException> refusal(String breaker, Instant now, Duration openDuration);

    /** Forced open by an operator: refuses every call, with no trial time of its own. */
    record ForcedOpen(BreakerOverride override) implements Effective {

        @Override
        public BreakerState state() {
            return BreakerState.OPEN;
        }

        @Override
        public BreakerCause cause() {
            return BreakerCause.OPERATOR;
        }

        @Override
        public Instant until() {
            return null;
        }

        @Override
        public BreakerPolicy.Allowance allowance() {
            return BreakerPolicy.Allowance.NONE;
        }

        @Override
        public Optional<BreakerOpenException> refusal(String breaker, Instant now, Duration openDuration) {
            return Optional.of(new BreakerOpenException(breaker, openDuration, "by an operator (" + override.by() + ")"));
        }
    }

    /** Disabled by an operator: every call goes through, past the local breaker, and is still counted. */
    record Disabled(BreakerOverride override) implements Effective {

        @Override
        public BreakerState state() {
            return BreakerState.CLOSED;
        }

        @Override
        public BreakerCause cause() {
            return BreakerCause.OPERATOR;
        }

        @Override
        public Instant until() {
            return null;
        }

        @Override
        public boolean guarded() {
            return false;
        }

        @Override
        public BreakerPolicy.Allowance allowance() {
            return BreakerPolicy.Allowance.ALL;
        }

        @Override
        public Optional<BreakerOpenException> refusal(String breaker, Instant now, Duration openDuration) {
            return Optional.empty();
        }
    }

    /** Open since before this instance restarted: its predecessor's open time runs on, until {@code until}. */
    record Inherited(Instant until) implements Effective {

        @Override
        public BreakerState state() {
            return BreakerState.OPEN;
        }

        @Override
        public BreakerCause cause() {
            return BreakerCause.FAILURES;
        }

        @Override
        public boolean isHold() {
            return true;
        }

        @Override
        public BreakerPolicy.Allowance allowance() {
            return BreakerPolicy.Allowance.NONE;
        }

        @Override
        public Optional<BreakerOpenException> refusal(String breaker, Instant now, Duration openDuration) {
            return Optional.of(new BreakerOpenException(breaker, Duration.between(now, until), "since before this restart"));
        }
    }

    /** Held open by the fleet: another instance is trying the dependency, and we wait for it until {@code until}. */
    record Held(Instant until) implements Effective {

        @Override
        public BreakerState state() {
            return BreakerState.OPEN;
        }

        @Override
        public BreakerCause cause() {
            return BreakerCause.CLUSTER;
        }

        @Override
        public boolean isHold() {
            return true;
        }

        @Override
        public BreakerPolicy.Allowance allowance() {
            return BreakerPolicy.Allowance.NONE;
        }

        @Override
        public Optional<BreakerOpenException> refusal(String breaker, Instant now, Duration openDuration) {
            return Optional.of(new BreakerOpenException(breaker, Duration.between(now, until),
                    "on another instance, which is trying the dependency"));
        }
    }

    /** Cooling down: the dependency asked for a pause until {@code until}; not a failure. */
    record Cooling(Instant until) implements Effective {

        @Override
        public BreakerState state() {
            return BreakerState.OPEN;
        }

        @Override
        public BreakerCause cause() {
            return BreakerCause.COOLING;
        }

        @Override
        public BreakerPolicy.Allowance allowance() {
            return BreakerPolicy.Allowance.NONE;
        }

        @Override
        public Optional<BreakerOpenException> refusal(String breaker, Instant now, Duration openDuration) {
            return Optional.of(BreakerOpenException.cooling(breaker, Duration.between(now, until),
                    "cooling down: the dependency asked callers to wait", false));
        }
    }

    /**
     * This instance's Failsafe breaker.
     *
     * @param remaining how long until it lets a trial call through, while open; zero otherwise
     */
    record Local(BreakerState state, BreakerCause cause, Instant until, Duration remaining) implements Effective {

        @Override
        public BreakerPolicy.Allowance allowance() {
            return switch (state) {
                case CLOSED -> BreakerPolicy.Allowance.ALL;
                case HALF_OPEN -> BreakerPolicy.Allowance.TRIAL;
                // Failsafe half-opens lazily, on the first call after the delay: that call is the trial.
                case OPEN -> remaining.isZero() ? BreakerPolicy.Allowance.TRIAL : BreakerPolicy.Allowance.NONE;
            };
        }

        @Override
        public Optional<BreakerOpenException> refusal(String breaker, Instant now, Duration openDuration) {
            // Refused here rather than by Failsafe, whose refusal builds an exception with a stack trace: an open
            // breaker's refusal is the hot path of an outage. Once the delay is up, Failsafe decides (half-open).
            return state == BreakerState.OPEN && remaining.compareTo(Duration.ZERO) > 0
                    ? Optional.of(new BreakerOpenException(breaker, remaining)) : Optional.empty();
        }
    }
}
