package io.breakwater.core.breaker;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerState;

/**
 * Notices when the state operators see changes, and reports it: each transition and each change of the failure
 * count to the {@link BreakerPolicy#onEvent listeners} at once, and a snapshot when asked. It also ends a hold that
 * ran out: with the fleet's verdict if one came (another instance recovered), else by letting our next call be the
 * trial. Thread-safe: the state last reported is guarded by this object's monitor; listeners are called outside it.
 */
final class TransitionReporter {

    private static final Logger log = LoggerFactory.getLogger(BreakerPolicy.class);

    private final BreakerSettings settings;
    private final BreakerPolicy.Identity identity;
    private final Clock clock;
    private final CallStatistics statistics;
    private final StateResolver resolver;
    private final FleetFollower fleet;
    private final LocalBreaker local;
    private final List<Consumer<BreakerEvent>> listeners = new CopyOnWriteArrayList<>();

    // The state last reported to listeners; written under this monitor. The state alone is volatile too, so every
    // call can look at it without taking the lock.
    private volatile BreakerState reportedState = BreakerState.CLOSED;
    private BreakerCause reportedCause = BreakerCause.HEALTHY;
    private boolean reportedHold;
    private Instant openedAt;

    TransitionReporter(BreakerSettings settings, BreakerPolicy.Identity identity, Clock clock, CallStatistics statistics,
                       StateResolver resolver, FleetFollower fleet, LocalBreaker local) {
        this.settings = settings;
        this.identity = identity;
        this.clock = clock;
        this.statistics = statistics;
        this.resolver = resolver;
        this.fleet = fleet;
        this.local = local;
    }

    void addListener(Consumer<BreakerEvent> listener) {
        listeners.add(listener);
    }

    /** Whether the state last reported is closed: if not while the local breaker is, a hold may have ended. */
    boolean reportedClosed() {
        return reportedState == BreakerState.CLOSED;
    }

    /** See {@link BreakerPolicy#refresh}. */
    void refresh() {
        BreakerEvent event;
        synchronized (this) {
            Instant now = clock.instant();
            Effective current = resolver.resolve(now);
            if (holdEnded(current)) {
                if (!fleet.recoveredSinceHold()) {
                    // Our predecessor's open time ran out, or the instance we followed went quiet without a verdict:
                    // our next call is the trial. Half-opening reports itself (Failsafe calls back into refresh).
                    fleet.forgetHold();
                    log.info("Breaker {}: no verdict from the fleet on {}; the next call here is a trial",
                            settings.name(), settings.name());
                    local.halfOpen();
                    return;
                }
                local.recovered();
                current = resolver.resolve(now);
            }
            if (current.state() == reportedState && current.cause() == reportedCause) {
                reportedHold = current.isHold();
                return;
            }
            event = transition(current, now);
        }
        publish(event);
    }

    /** Reports the count of consecutive failures, which changed while the breaker is closed. */
    void publishFailureCount() {
        if (listeners.isEmpty()) {
            return;
        }
        BreakerEvent event;
        synchronized (this) {
            Instant now = clock.instant();
            event = report(BreakerEvent.Kind.FAILURES, null, resolver.resolve(now), now, null);
        }
        publish(event);
    }

    /** See {@link BreakerPolicy#snapshot}. */
    synchronized BreakerEvent snapshot() {
        Instant now = clock.instant();
        return report(BreakerEvent.Kind.SNAPSHOT, null, resolver.resolve(now), now, statistics.encodedLatency());
    }

    /** A hold (or our predecessor's open time) that no longer holds, with no operator deciding instead. */
    private boolean holdEnded(Effective current) {
        return reportedHold && !current.isHold() && current.cause() != BreakerCause.OPERATOR && local.isClosed();
    }

    private BreakerEvent transition(Effective current, Instant now) {
        BreakerState previous = reportedState;
        if (previous == BreakerState.CLOSED) {
            openedAt = now;
        }
        if (current.state() == BreakerState.CLOSED) {
            openedAt = null;
        }
        if (current.cause() == BreakerCause.CLUSTER && reportedCause != BreakerCause.CLUSTER) {
            fleet.holdBegan(now);
            log.warn("Breaker {} held open: another instance found {} failing; refusing calls here too",
                    settings.name(), settings.name());
        }
        reportedState = current.state();
        reportedCause = current.cause();
        reportedHold = current.isHold();
        return report(BreakerEvent.Kind.TRANSITION, previous, current, now, null);
    }

    private BreakerEvent report(BreakerEvent.Kind kind, BreakerState previous, Effective current, Instant now,
                                String histogram) {
        Instant openUntil = current.state() == BreakerState.OPEN ? current.until() : null;
        return new BreakerEvent(BreakerEvent.SCHEMA_VERSION, kind, settings.name(), identity.instanceId(),
                identity.startedAt(), now, current.state(), previous, current.cause(), statistics.consecutiveFailures(),
                settings.failureThreshold(), settings.openDuration().toMillis() / 1000.0, statistics.total(),
                statistics.successfulCalls(), statistics.failedCalls(), statistics.rejectedCalls(), statistics.lastSuccessAt(),
                statistics.lastFailureAt(), current.state() == BreakerState.CLOSED ? null : openedAt, openUntil,
                histogram == null ? null : statistics.latencyWindow().toSeconds(), histogram);
    }

    private void publish(BreakerEvent event) {
        for (Consumer<BreakerEvent> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                log.warn("Breaker {}: a listener failed on {}: {}", settings.name(), event.kind().json(), e.toString());
            }
        }
    }
}
