package io.breakwater.core.breaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.function.CheckedSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.time.OutsideTime;

/**
 * Calls one dependency through its breaker: Failsafe's Retry → CircuitBreaker → Timeout (per attempt), with the
 * figures operators see (calls by outcome, consecutive failures, latency histogram, when it opened). The settings
 * ({@link BreakerSettings}) give every number: failures that open it, how long it stays open, the call timeout and
 * the retries.
 *
 * <p>The breaker also follows the fleet ({@link #onClusterHealth}) and operators ({@link #onOverride}). What a call
 * meets is decided in one place, over explicit states in this order: forced open by an operator, disabled by an
 * operator, still open from before this instance's restart, held open because another instance is trying the
 * dependency, and only then this instance's own breaker. Failures counted on several instances together open it;
 * the instance due first sends the trial call while the others wait for its result, and its success closes them
 * all. Each change of the state operators see is passed to the {@link #onEvent listeners} at once, and each call
 * that reached the dependency to the {@link #onCall call listeners} (metrics).
 *
 * <p>Thread-safe: one instance per dependency, shared by every thread that calls it. Calls take no lock of the
 * breaker's own (counters are atomic, the fleet's view and the override volatile); reporting a change takes one.
 */
public final class BreakerPolicy implements DependencyGate {

    private static final Logger log = LoggerFactory.getLogger(BreakerPolicy.class);

    private final BreakerSettings settings;
    private final Identity identity;
    private final Clock clock;
    /** The shortest cooldown a rate limit earns, whatever it asks. */
    static final Duration MIN_COOLDOWN = Duration.ofMillis(250);

    private final CallStatistics statistics;
    private final SlowCallWindow slowCalls;
    private final LocalBreaker local;
    private final FleetFollower fleet;
    private final StateResolver resolver;
    private final TransitionReporter reporter;

    /** A breaker of its own, not shared with a fleet: for tools and tests. */
    public BreakerPolicy(BreakerSettings settings) {
        this(settings, new Identity("local", Clock.systemUTC().instant()), false, Duration.ofSeconds(60),
                Clock.systemUTC());
    }

    /**
     * @param identity this instance, as its events name it
     * @param sharing whether to follow the fleet ({@code breaker.share})
     * @param latencyWindow how far back the latency histogram reaches
     * @param clock the time of the fleet's holds, of inherited open times, of the waits for the fleet and of the
     *     latency window (Failsafe's own open delay runs on the system's)
     */
    public BreakerPolicy(BreakerSettings settings, Identity identity, boolean sharing, Duration latencyWindow,
                         Clock clock) {
        this.settings = settings;
        this.identity = identity;
        this.clock = clock;
        this.statistics = new CallStatistics(settings.name(), latencyWindow, clock);
        this.slowCalls = new SlowCallWindow(settings.slowCalls());
        // The local breaker reports its own transitions, through refresh, once the parts below exist.
        this.local = new LocalBreaker(settings, clock, statistics, this::refresh);
        this.fleet = new FleetFollower(settings, identity, sharing, clock, local, statistics);
        this.resolver = new StateResolver(local, fleet);
        this.reporter = new TransitionReporter(settings, identity, clock, statistics, resolver, fleet, local);
    }

    @Override
    public String name() {
        return settings.name();
    }

    public BreakerSettings settings() {
        return settings;
    }

    /** Who reports this breaker: its instance id. */
    public String instanceId() {
        return identity.instanceId();
    }

    /** The local Failsafe breaker, without the fleet's holds or an operator's override: for tests and tools. */
    public CircuitBreaker<Object> breaker() {
        return local.circuitBreaker();
    }

    /** Called with every event this breaker has to report: each transition, and each change of its failure count. */
    public void onEvent(Consumer<BreakerEvent> listener) {
        reporter.addListener(listener);
    }

    /** Tells {@code listener} of every call that reaches the dependency, until {@link #removeCallListener}. */
    public void onCall(CallListener listener) {
        statistics.addListener(listener);
    }

    public void removeCallListener(CallListener listener) {
        statistics.removeListener(listener);
    }

    /**
     * Makes the call, retrying transient failures while the breaker allows.
     *
     * @throws BreakerOpenException if the breaker is open, here or for the fleet, or forced open (the call was not
     *     made, or retries stopped)
     * @throws DependencyUnavailableException if every attempt failed or timed out
     * @throws DependencyRejectedException if the dependency rejected the request as bad
     */
    public <T> T call(CheckedSupplier<T> call) {
        return call(call, true);
    }

    /**
     * As {@link #call}, with one attempt only: for a caller that has somewhere else to go when it fails (the next of
     * an LLM's deployments), for whom a retry here would only be a wait.
     */
    public <T> T callOnce(CheckedSupplier<T> call) {
        return call(call, false);
    }

    private <T> T call(CheckedSupplier<T> call, boolean retrying) {
        Instant now = clock.instant();
        Effective current = resolver.resolve(now);
        // Only a call the local breaker decides can be spared by the fleet's count; the others are decided. Resolved
        // again only after a wait: an open breaker's refusal is the hot path of an outage.
        if (current instanceof Effective.Local && fleet.awaitTheFleetCountingOurFailures()) {
            now = clock.instant();
            current = resolver.resolve(now);
        }
        refuseIfRefusing(current, now);
        if (!reporter.reportedClosed() && local.isClosed()) {
            // A hold ran out while no report noticed: settle it first, so that this call may be the trial.
            refresh();
        }
        try {
            return local.run(call, current.guarded(), retrying, this::succeeded, this::failed);
        } catch (DependencyCoolingException e) {
            throw cooled(e);
        }
    }

    /**
     * Cools down until the time the dependency asked for, and refuses the call as a breaker that is open would: the
     * caller's work waits (or goes to another deployment), and is not counted as failed.
     */
    private BreakerOpenException cooled(DependencyCoolingException e) {
        Duration coolFor = coolingTime(e.coolFor());
        local.coolingBegan();
        resolver.coolUntil(OutsideTime.plusSaturated(clock.instant(), coolFor));
        statistics.rejected();
        reporter.refresh();
        return BreakerOpenException.cooling(name(), coolFor, "cooling down (" + e.getMessage() + ")", true);
    }

    /**
     * Cools down for {@code pause} (clamped as a 429's wait is) after a call that went well: the dependency said its
     * quota is running out, and the fleet slows down before it has to say 429. Not a failure; calls resume by
     * themselves when it ends.
     */
    public void coolFor(Duration pause, String why) {
        Duration coolFor = coolingTime(pause);
        resolver.coolUntil(OutsideTime.plusSaturated(clock.instant(), coolFor));
        log.debug("Breaker {} cools down for {} ms: {}", name(), coolFor.toMillis(), why);
        reporter.refresh();
    }

    /**
     * A pause asked for never keeps the dependency away longer than a failure would (an endpoint that asks for hours,
     * or centuries, is tried again after the breaker's open time), and always lasts a moment: a 429 that asks for no
     * wait (0, a date in the past) must still pace the calls.
     */
    private Duration coolingTime(Duration asked) {
        Duration coolFor = OutsideTime.clamp(asked, settings.openDuration());
        return coolFor.compareTo(MIN_COOLDOWN) < 0 ? MIN_COOLDOWN : coolFor;
    }

    /**
     * For calls that complete later (an asynchronous send): a permit to make one call now, whose outcome the caller
     * reports once, with {@link Attempt#succeeded} or {@link Attempt#failed}. Goes by the same state as
     * {@link #call}: overrides, the fleet's holds, the local breaker. No retries, no timeout: the caller has its own.
     *
     * @throws BreakerOpenException if no call may be made now
     */
    public Attempt attempt() {
        Effective current = resolver.resolve(clock.instant());
        refuseIfRefusing(current, clock.instant());
        if (current.guarded() && !local.tryAcquirePermit()) {
            statistics.rejected();
            throw new BreakerOpenException(name(), local.remainingDelay());
        }
        return new Attempt(System.nanoTime(), current.guarded());
    }

    /** One call made under {@link #attempt}: report how it went, once. */
    public final class Attempt {

        private final long startNanos;
        private final boolean guarded;

        private Attempt(long startNanos, boolean guarded) {
            this.startNanos = startNanos;
            this.guarded = guarded;
        }

        public void succeeded() {
            BreakerPolicy.this.succeeded(startNanos);
            if (guarded) {
                local.recordSuccess();
            }
        }

        public void failed() {
            BreakerPolicy.this.failed(startNanos, false);
            if (guarded) {
                local.recordFailure();
            }
        }
    }

    /**
     * Refuses now, as {@link #call} would, if no call may be made (open, cooling, held by the fleet, forced open);
     * returns if one may. For a caller that must take something scarce before calling (a permit of a limit of calls
     * in flight), and should not take it for a call that would be refused. The call itself still goes through
     * {@link #call}, which decides again.
     *
     * @throws BreakerOpenException if a call now would be refused without being made
     */
    public void refuseIfOpen() {
        Instant now = clock.instant();
        Effective current = resolver.resolve(now);
        refuseIfRefusing(current, now);
    }

    /** The state operators see: the local breaker's, unless the fleet holds it open or an operator overrides it. */
    public BreakerState state() {
        return resolver.resolve(clock.instant()).state();
    }

    /** How many calls may go now: all of them, a single trial, or none. */
    @Override
    public Allowance allowance() {
        return resolver.resolve(clock.instant()).allowance();
    }

    /** What may go through the breaker now. */
    public enum Allowance { ALL, TRIAL, NONE }

    /** How long until this breaker lets a (trial) call through: zero unless open; its open time if forced open. */
    @Override
    public Duration untilTrial() {
        Instant now = clock.instant();
        Effective current = resolver.resolve(now);
        if (current.state() != BreakerState.OPEN) {
            return Duration.ZERO;
        }
        if (current.until() == null) {
            return settings.openDuration();
        }
        Duration remaining = Duration.between(now, current.until());
        return remaining.isNegative() ? Duration.ZERO : remaining;
    }

    /**
     * The fleet's view of this breaker arrived (from {@code breaker.health}): follow another instance's open
     * breaker, open when the fleet's failures together reach the threshold, close when another instance's trial
     * call succeeded.
     */
    public void onClusterHealth(BreakerHealth health) {
        if (fleet.follow(health, resolver.isOverridden())) {
            refresh();
        }
    }

    /** The news of one poll has been applied: calls waiting for the fleet to count their failures look again. */
    public void fleetNewsApplied() {
        fleet.newsApplied();
    }

    /** An operator's override for this breaker arrived (from {@code breaker.control}). */
    public void onOverride(BreakerOverride newOverride) {
        if (!newOverride.breaker().equals(name())) {
            return;
        }
        resolver.override(newOverride);
        log.warn("Breaker {}: {} by {}{}", name(), switch (newOverride.mode()) {
            case FORCE_OPEN -> "forced open";
            case DISABLED -> "disabled (calls go through unguarded)";
            case AUTO -> "back to automatic";
        }, newOverride.by(), newOverride.reason() == null ? "" : ": " + newOverride.reason());
        refresh();
    }

    /**
     * Opens the breaker on other evidence than its own calls (a failed health probe): calls are refused at once
     * instead of each waiting to fail. Does nothing if it is open already.
     *
     * @param because completes "opened ..." in the log
     */
    public void trip(String because) {
        local.trip(because);
    }

    /** Closes a breaker that {@link #trip} (or failures) opened, once other evidence says the dependency is back. */
    public void untrip() {
        local.untrip();
    }

    /** Re-evaluates the state (a hold may have run out) and reports it if it changed. Called every so often. */
    public void refresh() {
        reporter.refresh();
    }

    /**
     * Calls by outcome since the instance started: {@code success}, {@code failure} (the dependency failed),
     * {@code timeout} (it did not answer in time) and {@code rejected} (refused while open). Failures and timeouts
     * together are what health reports as failed calls.
     */
    public Map<String, Long> callsByOutcome() {
        return statistics.byOutcome();
    }

    /** A snapshot for the periodic report, with the latency histogram of the last window. */
    public BreakerEvent snapshot() {
        return reporter.snapshot();
    }

    private void refuseIfRefusing(Effective current, Instant now) {
        Optional<BreakerOpenException> refusal = current.refusal(name(), now, settings.openDuration());
        if (refusal.isPresent()) {
            statistics.rejected();
            if (current instanceof Effective.Held) {
                refresh();
            }
            throw refusal.get();
        }
    }

    private void succeeded(long startNanos) {
        long took = System.nanoTime() - startNanos;
        if (statistics.succeeded(took) && local.isClosed()) {
            reporter.publishFailureCount();
        }
        judgeSpeed(took);
    }

    private void failed(long startNanos, boolean timedOut) {
        long took = System.nanoTime() - startNanos;
        judgeSpeed(took);
        // Failures of calls that were still out when the breaker opened do not count: it had decided.
        long failures = statistics.failed(took, timedOut, !local.isOpen());
        if (local.isClosed()) {
            reporter.publishFailureCount();
            if (failures < settings.failureThreshold()) {
                fleet.openIfTheFleetFailedEnough(resolver.isOverridden());
            }
        }
    }

    /** Opens a closed breaker when too many of its last calls were slow, though none failed. */
    private void judgeSpeed(long tookNanos) {
        if (slowCalls.enabled() && local.isClosed() && slowCalls.tooSlowAfter(tookNanos)) {
            local.trip(slowCalls.describe());
        }
    }

    /**
     * Who reports this breaker.
     *
     * @param instanceId {@code instance.id}, stable across restarts
     * @param startedAt when this process started, telling it from its predecessor with the same id
     */
    public record Identity(String instanceId, Instant startedAt) {
    }
}
