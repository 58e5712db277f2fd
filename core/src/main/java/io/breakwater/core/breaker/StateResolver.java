package io.breakwater.core.breaker;

import java.time.Instant;
import java.util.Optional;

import io.breakwater.core.health.BreakerOverride;

/**
 * The one place that decides a breaker's {@link Effective} state: an operator's override first (forced open, then
 * disabled), then the fleet (our predecessor's open breaker, then another instance's hold), and only then this
 * instance's cooldown (asked for by the dependency), and only then its Failsafe breaker. {@link BreakerPolicy}'s {@code call}, {@code attempt}, {@code allowance} and
 * {@code state} all ask it, so they cannot disagree. Thread-safe: the override is a volatile field, and the rest is
 * read from parts that are thread-safe themselves.
 */
final class StateResolver {

    private final LocalBreaker local;
    private final FleetFollower fleet;
    private volatile BreakerOverride override;
    /** Until when the dependency asked to be left alone; the latest deadline seen wins. */
    private final java.util.concurrent.atomic.AtomicReference<Instant> coolingUntil =
            new java.util.concurrent.atomic.AtomicReference<>(Instant.MIN);

    StateResolver(LocalBreaker local, FleetFollower fleet) {
        this.local = local;
        this.fleet = fleet;
    }

    /** Applies an operator's override; {@code auto} removes it. */
    void override(BreakerOverride newOverride) {
        override = newOverride.isActive() ? newOverride : null;
    }

    /**
     * Cools the dependency down until {@code until}, unless it is cooling down for longer already: a second, shorter
     * deadline never shortens the first.
     */
    void coolUntil(Instant until) {
        coolingUntil.accumulateAndGet(until, (current, next) -> next.isAfter(current) ? next : current);
    }

    /** Whether an operator's override (forced open, or disabled) decides instead of the breaker. */
    boolean isOverridden() {
        return override != null;
    }

    Effective resolve(Instant now) {
        BreakerOverride forced = override;
        if (forced != null) {
            return forced.mode() == BreakerOverride.Mode.FORCE_OPEN ? new Effective.ForcedOpen(forced)
                    : new Effective.Disabled(forced);
        }
        Optional<Instant> inherited = fleet.inheritedUntil(now);
        if (inherited.isPresent()) {
            return new Effective.Inherited(inherited.get());
        }
        Optional<Instant> held = fleet.heldUntil(now);
        if (held.isPresent()) {
            return new Effective.Held(held.get());
        }
        // Our own cooldown, or the latest another instance reports: a rate limit is the fleet's.
        Instant cooling = coolingUntil.get();
        Optional<Instant> fleetCooling = fleet.coolingUntil(now);
        if (fleetCooling.isPresent() && fleetCooling.get().isAfter(cooling)) {
            cooling = fleetCooling.get();
        }
        // Open from failures, the breaker's own open time decides; closed or half-open, the pause asked for does.
        if (cooling.isAfter(now) && !local.isOpen()) {
            return new Effective.Cooling(cooling);
        }
        return local.resolve(now);
    }
}
