package io.breakwater.core.breaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerState;

/**
 * How one instance's breaker follows the fleet's view of it ({@code breaker.health}): while another instance has
 * found the dependency dead and is due to try it first, this one is held open instead of paying its own failures;
 * a restarted instance starts where its predecessor left off; failures counted on several instances together open
 * it; another instance's successful trial closes it. Every instant comes from the injected clock, so tests move
 * time instead of waiting for it. Does nothing unless the breaker is shared ({@code breaker.share}).
 *
 * <p>Thread-safe: the fleet's view and the holds are volatile fields written by the one thread that reads the
 * topics and read by every calling thread; a call waiting for the fleet waits on a monitor of its own.
 */
final class FleetFollower {

    private static final Logger log = LoggerFactory.getLogger(BreakerPolicy.class);
    /** The longest a call waits, after failures, for the fleet to have counted them. */
    static final Duration FLEET_SYNC = Duration.ofSeconds(1);
    /**
     * How much newer than our last failure the fleet's view must be before a call goes ahead: long enough for the
     * failures other instances had at the same moment to have been folded in too.
     */
    static final Duration FLEET_SETTLE = Duration.ofMillis(250);

    private final String name;
    private final String instanceId;
    private final Instant startedAt;
    private final boolean sharing;
    private final int failureThreshold;
    /** How long followers wait for the trial call of the instance due first before trying themselves. */
    private final Duration probeGrace;
    /**
     * The furthest ahead a time read off {@code breaker.health} is taken: anyone who can write to that topic could say
     * "open until the year 1000000000", and this instance waits no longer on another's word than on its own.
     */
    private final Duration openDuration;
    private final Clock clock;
    private final LocalBreaker local;
    private final CallStatistics statistics;
    private final Object news = new Object();

    private volatile BreakerHealth cluster;
    /** Until when our predecessor (same id, before a restart) had the breaker open: we start where it stopped. */
    private volatile Instant inheritedOpenUntil;
    /** Since when the fleet holds us open (or our predecessor's open time began to run here). */
    private volatile Instant heldSince;

    FleetFollower(BreakerSettings settings, BreakerPolicy.Identity identity, boolean sharing, Clock clock,
                  LocalBreaker local, CallStatistics statistics) {
        this.name = settings.name();
        this.instanceId = identity.instanceId();
        this.startedAt = identity.startedAt();
        this.sharing = sharing;
        this.failureThreshold = settings.failureThreshold();
        this.probeGrace = settings.callTimeout().plusSeconds(5);
        this.openDuration = settings.openDuration();
        this.clock = clock;
        this.local = local;
        this.statistics = statistics;
    }

    /**
     * Takes in the fleet's latest view: inherit our predecessor's open breaker, close when another instance's
     * trial call succeeded after we opened, open when the fleet's failures together reach the threshold.
     *
     * @param overridden whether an operator's override decides instead (then the fleet's failures open nothing)
     * @return false if the view was not for this breaker, or the breaker is not shared
     */
    boolean follow(BreakerHealth health, boolean overridden) {
        if (!sharing || !health.breaker().equals(name)) {
            return false;
        }
        cluster = health;
        inheritFromPredecessor(health);
        if (inheritedOpenUntil != null && recoveredSince(startedAt)) {
            inheritedOpenUntil = null;
        }
        boolean closed = local.isClosed();
        Instant recovered = health.recoveredAt();
        Instant opened = local.openedAt();
        if (!closed && recovered != null && opened != null && recovered.isAfter(opened)) {
            log.info("Breaker {}: another instance's trial call succeeded; closing here too", name);
            local.closeRecovered();
        } else if (closed && heldUntil(clock.instant()).isEmpty()) {
            openIfTheFleetFailedEnough(overridden);
        }
        return true;
    }

    /** Until when our predecessor's open breaker holds this one open, while ours is closed. */
    Optional<Instant> inheritedUntil(Instant now) {
        Instant until = inheritedOpenUntil;
        return until != null && until.isAfter(now) && local.isClosed() ? Optional.of(until) : Optional.empty();
    }

    /**
     * Until when another instance was asked to wait by the dependency (a 429): the latest deadline any of them
     * reports. A rate limit is the fleet's, so this instance waits as long; and no longer, since a cooldown ends
     * at its deadline without a verdict to wait for.
     */
    Optional<Instant> coolingUntil(Instant now) {
        BreakerHealth health = cluster;
        if (!sharing || health == null) {
            return Optional.empty();
        }
        return health.byInstance().entrySet().stream()
                .filter(entry -> entry.getValue().isCooling() && !isThisInstance(entry.getKey(), entry.getValue()))
                .map(entry -> entry.getValue().openUntil())
                .filter(until -> until != null && until.isAfter(now))
                .max(Instant::compareTo)
                .map(until -> atMostOpenTimeAhead(until, now));
    }

    /**
     * Until when the fleet holds this instance open: while another instance that found the dependency failing
     * itself (not merely cooling down: {@link #coolingUntil}) is open or trying it, and is due to try before us, we wait for its verdict (up to its trial time plus a
     * grace) rather than pay our own failures or send trial calls of our own.
     */
    Optional<Instant> heldUntil(Instant now) {
        BreakerHealth health = cluster;
        if (!sharing || health == null || local.isHalfOpen()) {
            return Optional.empty();
        }
        Optional<Map.Entry<String, BreakerHealth.InstanceView>> prober = health.byInstance().entrySet().stream()
                .filter(entry -> entry.getValue().isTripped() && !entry.getValue().isCooling()
                        && !isThisInstance(entry.getKey(), entry.getValue()))
                .min(Comparator.comparing((Map.Entry<String, BreakerHealth.InstanceView> entry) -> trialAt(entry.getValue()))
                        .thenComparing(Map.Entry::getKey));
        if (prober.isEmpty()) {
            return Optional.empty();
        }
        Instant theirTrial = atMostOpenTimeAhead(trialAt(prober.get().getValue()), now);
        if (local.isOpen()) {
            Instant ourTrial = now.plus(local.remainingDelay());
            boolean weAreFirst = ourTrial.isBefore(theirTrial)
                    || ourTrial.equals(theirTrial) && instanceId.compareTo(prober.get().getKey()) < 0;
            if (weAreFirst) {
                return Optional.empty();
            }
        }
        Instant until = theirTrial.plus(probeGrace);
        return until.isAfter(now) ? Optional.of(until) : Optional.empty();
    }

    /**
     * While this instance's last calls failed, the next one first waits (up to {@link #FLEET_SYNC} on the clock) for
     * the fleet's view to include those failures: if the fleet's count has reached the threshold meanwhile, the call
     * is refused instead of adding one more failure. Costs nothing while calls succeed, or without a fleet. Woken by
     * {@link #newsApplied}.
     *
     * @return whether it looked at the fleet (and may have waited): the state may have changed meanwhile
     */
    boolean awaitTheFleetCountingOurFailures() {
        long ours = statistics.consecutiveFailures();
        if (!sharing || cluster == null || ours == 0 || !local.isClosed()) {
            return false;
        }
        Instant deadline = clock.instant().plus(FLEET_SYNC);
        synchronized (news) {
            while (!fleetHasCounted(ours) && local.isClosed()) {
                Duration remaining = Duration.between(clock.instant(), deadline);
                if (remaining.isNegative() || remaining.isZero()) {
                    return true;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(news, remaining.toNanos());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return true;
                }
            }
        }
        return true;
    }

    /** The news of one poll has been applied: calls waiting for the fleet to count their failures look again. */
    void newsApplied() {
        synchronized (news) {
            news.notifyAll();
        }
    }

    /** Opens the local breaker if the failures counted across the fleet, ours included, reach the threshold. */
    void openIfTheFleetFailedEnough(boolean overridden) {
        BreakerHealth health = cluster;
        if (health == null || overridden || !local.isClosed()) {
            return;
        }
        long others = health.byInstance().entrySet().stream()
                .filter(entry -> !isThisInstance(entry.getKey(), entry.getValue()))
                .filter(entry -> entry.getValue().state() == BreakerState.CLOSED)
                .filter(entry -> health.recoveredAt() == null || entry.getValue().reportedAt().isAfter(health.recoveredAt()))
                .mapToLong(entry -> entry.getValue().failureCount())
                .sum();
        long ours = statistics.consecutiveFailures();
        if (others > 0 && ours + others >= failureThreshold) {
            log.warn("Breaker {}: the fleet counted {} consecutive failures ({} here); opening", name, ours + others, ours);
            local.open(BreakerCause.FAILURES);
        }
    }

    /** The fleet began to hold this instance open. */
    void holdBegan(Instant now) {
        heldSince = now;
    }

    /**
     * Whether another instance's trial call succeeded since the fleet began to hold us, or the fleet is clear again
     * without one: closed, no instance with evidence of its own (the instance that held us was cooling down, not
     * failing, and is calling again). Either way, no trial of ours is needed.
     */
    boolean recoveredSinceHold() {
        if (recoveredSince(heldSince)) {
            return true;
        }
        BreakerHealth health = cluster;
        return health != null && health.state() == BreakerState.CLOSED && health.byInstance().entrySet().stream()
                .noneMatch(entry -> entry.getValue().isTripped() && !isThisInstance(entry.getKey(), entry.getValue()));
    }

    /** The hold ran out without a verdict: nothing is held or inherited any more. */
    void forgetHold() {
        heldSince = null;
        inheritedOpenUntil = null;
    }

    private boolean fleetHasCounted(long failures) {
        BreakerHealth health = cluster;
        BreakerHealth.InstanceView us = health.byInstance().get(instanceId);
        Instant failedAt = statistics.lastFailureAt();
        return statistics.consecutiveFailures() < failures || heldUntil(clock.instant()).isPresent()
                || us != null && startedAt.equals(us.startedAt()) && us.failureCount() >= failures
                && (failedAt == null || health.updatedAt() == null || !health.updatedAt().isBefore(failedAt.plus(FLEET_SETTLE)));
    }

    /** On the first news after a restart: if our predecessor had found the dependency failing, carry on from there. */
    private void inheritFromPredecessor(BreakerHealth health) {
        if (statistics.total() > 0 || inheritedOpenUntil != null) {
            return;
        }
        BreakerHealth.InstanceView predecessor = health.byInstance().get(instanceId);
        if (predecessor != null && predecessor.isTripped() && predecessor.startedAt() != null
                && predecessor.startedAt().isBefore(startedAt) && predecessor.state() == BreakerState.OPEN
                && predecessor.openUntil() != null && predecessor.openUntil().isAfter(clock.instant())) {
            inheritedOpenUntil = atMostOpenTimeAhead(predecessor.openUntil(), clock.instant());
            heldSince = startedAt;
            log.warn("Breaker {} starts open, as this instance left it before its restart: next trial at {}", name,
                    predecessor.openUntil());
        }
    }

    private boolean isThisInstance(String instance, BreakerHealth.InstanceView view) {
        // A report from our own predecessor (same id, earlier start) counts as another instance's.
        return instanceId.equals(instance) && (view.startedAt() == null || !view.startedAt().isBefore(startedAt));
    }

    private boolean recoveredSince(Instant since) {
        BreakerHealth health = cluster;
        return health != null && health.recoveredAt() != null && since != null && health.recoveredAt().isAfter(since);
    }

    /** {@code until}, or the breaker's open time from {@code now} if that is sooner. */
    private Instant atMostOpenTimeAhead(Instant until, Instant now) {
        Instant furthest = now.plus(openDuration);
        return until.isAfter(furthest) ? furthest : until;
    }

    private static Instant trialAt(BreakerHealth.InstanceView view) {
        if (view.state() == BreakerState.OPEN && view.openUntil() != null) {
            return view.openUntil();
        }
        return view.reportedAt() == null ? Instant.EPOCH : view.reportedAt();
    }
}
