package io.breakwater.core.breaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import dev.failsafe.function.CheckedSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.health.LatencyWindow;

/**
 * Calls one dependency through Failsafe: Retry (outermost) → CircuitBreaker → Timeout (per attempt), and keeps the
 * figures operators see (calls by outcome, consecutive failures, latency histogram, when it opened).
 *
 * <p>Every attempt passes through the breaker, so its threshold counts calls that reached the dependency, and a
 * timed-out attempt counts as a failure. Retries back off exponentially and stop at once when the breaker opens.
 * A {@link DependencyRejectedException} is neither retried nor counted as a failure.
 *
 * <p>The breaker also listens to the fleet ({@link #onClusterHealth}, {@link #onOverride}): while another instance
 * has found the dependency dead, this one refuses calls too instead of paying its own failures (a <em>hold</em>);
 * failures counted on several instances together open it; the instance due first sends the trial call while the
 * others wait for its result, and its success closes them all; an operator's override beats everything. Each
 * change of the state operators see is passed to the {@link #onEvent listeners} at once. Thread-safe: one
 * instance per dependency, shared by every thread that calls it.
 */
public final class BreakerPolicy {

    private static final Logger log = LoggerFactory.getLogger(BreakerPolicy.class);
    /** The longest a call waits, after failures, for the fleet to have counted them. */
    private static final Duration FLEET_SYNC = Duration.ofSeconds(1);
    /**
     * How much newer than our last failure the fleet's view must be before a call goes ahead: long enough for the
     * failures other instances had at the same moment to have been folded in too.
     */
    private static final Duration FLEET_SETTLE = Duration.ofMillis(250);

    private final BreakerSettings settings;
    private final String instanceId;
    private final Instant startedAt;
    private final Clock clock;
    private final boolean sharing;
    private final Duration probeGrace;
    private final CircuitBreaker<Object> breaker;
    private final FailsafeExecutor<Object> executor;
    private final FailsafeExecutor<Object> withoutBreaker;
    private final LatencyWindow latency;
    private final List<Consumer<BreakerEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Object fleetNews = new Object();

    private final AtomicLong successfulCalls = new AtomicLong();
    private final AtomicLong failedCalls = new AtomicLong();
    private final AtomicLong rejectedCalls = new AtomicLong();
    private final AtomicLong timedOutCalls = new AtomicLong();
    private volatile CallObserver callObserver;
    private final AtomicLong consecutiveFailures = new AtomicLong();
    private volatile Instant lastSuccessAt;
    private volatile Instant lastFailureAt;
    private volatile Instant localOpenedAt;
    /** Why Failsafe's breaker last changed state; set before we change it ourselves. */
    private volatile BreakerCause localCause = BreakerCause.HEALTHY;
    /** Why we open it ourselves, for the log, when not by counting failures. */
    private volatile String openedBecause;
    private volatile BreakerHealth cluster;
    private volatile BreakerOverride override;
    /** Until when our predecessor (same id, before a restart) had the breaker open: we start where it stopped. */
    private volatile Instant inheritedOpenUntil;

    // The state last reported to listeners; guarded by this.
    private BreakerState reportedState = BreakerState.CLOSED;
    private BreakerCause reportedCause = BreakerCause.HEALTHY;
    private boolean reportedHold;
    private Instant openedAt;
    private Instant heldSince;

    /** A breaker of its own, not shared with a fleet: for tools and tests. */
    public BreakerPolicy(BreakerSettings settings) {
        this(settings, new Identity("local", Clock.systemUTC().instant()), false, Duration.ofSeconds(60),
                Clock.systemUTC());
    }

    /**
     * @param identity this instance, as its events name it
     * @param sharing whether to follow the fleet ({@code breaker.share})
     * @param latencyWindow how far back the latency histogram reaches
     */
    public BreakerPolicy(BreakerSettings settings, Identity identity, boolean sharing, Duration latencyWindow,
                         Clock clock) {
        this.settings = settings;
        this.instanceId = identity.instanceId();
        this.startedAt = identity.startedAt();
        this.clock = clock;
        this.sharing = sharing;
        // How long followers wait for the trial call of the instance due first before trying themselves.
        this.probeGrace = settings.callTimeout().plusSeconds(5);
        this.latency = new LatencyWindow(latencyWindow);
        String name = settings.name();
        this.breaker = CircuitBreaker.builder()
                .handleIf((result, failure) -> countsAgainstBreaker(failure))
                .withFailureThreshold(settings.failureThreshold())
                .withSuccessThreshold(settings.successThreshold())
                .withDelay(settings.openDuration())
                .onOpen(event -> {
                    localOpenedAt = clock.instant();
                    BreakerCause cause = event.getPreviousState() == CircuitBreaker.State.HALF_OPEN
                            ? BreakerCause.TRIAL_FAILED : BreakerCause.FAILURES;
                    localCause = cause;
                    String because = openedBecause;
                    openedBecause = null;
                    log.warn("Breaker {} opened {}; calls are refused for {} s", name,
                            because != null ? because : cause == BreakerCause.TRIAL_FAILED ? "again: a trial call failed"
                                    : "after " + consecutiveFailures.get() + " consecutive failures",
                            settings.openDuration().toMillis() / 1000.0);
                    refresh();
                })
                .onHalfOpen(event -> {
                    localCause = BreakerCause.DELAY_ELAPSED;
                    log.info("Breaker {} half-open: letting trial calls through", name);
                    refresh();
                })
                .onClose(event -> {
                    if (localCause != BreakerCause.CLUSTER_RECOVERED) {
                        localCause = BreakerCause.TRIAL_SUCCEEDED;
                    }
                    consecutiveFailures.set(0);
                    localOpenedAt = null;
                    log.info("Breaker {} closed: {} is healthy again", name, name);
                    refresh();
                })
                .build();
        RetryPolicy<Object> retry = RetryPolicy.builder()
                .handleIf((result, failure) -> countsAgainstBreaker(failure))
                .abortOn(CircuitBreakerOpenException.class)
                // A dependency that asks for a longer wait than our longest backoff is not retried here: the
                // caller parks the work with that wait as its not-before.
                .abortIf((result, failure) -> retryAfter(failure).filter(wait -> wait.compareTo(settings.retryMaxDelay()) > 0).isPresent())
                .withMaxRetries(settings.maxRetries())
                .withBackoff(settings.retryDelay(), settings.retryMaxDelay())
                .withDelayFnOn(context -> retryAfter(context.getLastException()).orElse(Duration.ofMillis(-1)),
                        DependencyUnavailableException.class)
                .build();
        Timeout<Object> timeout = Timeout.builder(settings.callTimeout()).withInterrupt().build();
        this.executor = Failsafe.with(retry, breaker, timeout);
        this.withoutBreaker = Failsafe.with(retry, timeout);
    }

    public String name() {
        return settings.name();
    }

    public BreakerSettings settings() {
        return settings;
    }

    /** The local Failsafe breaker, without the fleet's holds or an operator's override: for tests and tools. */
    public CircuitBreaker<Object> breaker() {
        return breaker;
    }

    /** Called with every event this breaker has to report: each transition, and each change of its failure count. */
    public void onEvent(Consumer<BreakerEvent> listener) {
        listeners.add(listener);
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
        BreakerOverride forced = override;
        if (forced != null && forced.mode() == BreakerOverride.Mode.FORCE_OPEN) {
            rejectedCalls.incrementAndGet();
            throw new BreakerOpenException(name(), settings.openDuration(), "by an operator (" + forced.by() + ")");
        }
        awaitTheFleetCountingOurFailures();
        Instant now = clock.instant();
        Optional<Instant> inherited = inheritedUntil(now);
        if (inherited.isPresent()) {
            rejectedCalls.incrementAndGet();
            throw new BreakerOpenException(name(), Duration.between(now, inherited.get()), "since before this restart");
        }
        Optional<Instant> held = heldUntil(now);
        if (held.isPresent()) {
            rejectedCalls.incrementAndGet();
            refresh();
            throw new BreakerOpenException(name(), Duration.between(now, held.get()),
                    "on another instance, which is trying the dependency");
        }
        if (reportedState != BreakerState.CLOSED && breaker.isClosed()) {
            refresh();
        }
        boolean disabled = forced != null && forced.mode() == BreakerOverride.Mode.DISABLED;
        if (!disabled && breaker.isOpen()) {
            // Refused here rather than by Failsafe, whose refusal builds an exception with a stack trace: an open
            // breaker's refusal is the hot path of an outage. Once the delay is up, Failsafe decides (half-open).
            Duration remaining = breaker.getRemainingDelay();
            if (remaining.compareTo(Duration.ZERO) > 0) {
                rejectedCalls.incrementAndGet();
                throw new BreakerOpenException(name(), remaining);
            }
        }
        FailsafeExecutor<Object> chain = disabled ? withoutBreaker : executor;
        try {
            return chain.get(measured(call));
        } catch (CircuitBreakerOpenException e) {
            rejectedCalls.incrementAndGet();
            throw new BreakerOpenException(name(), breaker.getRemainingDelay());
        } catch (TimeoutExceededException e) {
            throw new DependencyUnavailableException(name() + " did not answer within "
                    + settings.callTimeout().toMillis() + " ms", e);
        } catch (DependencyUnavailableException | DependencyRejectedException e) {
            throw e;
        } catch (FailsafeException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new DependencyUnavailableException(name() + " call failed: " + cause, cause);
        } catch (RuntimeException e) {
            throw new DependencyUnavailableException(name() + " call failed: " + e, e);
        }
    }

    /**
     * For calls that complete later (an asynchronous send): a permit to make one call now, whose outcome the caller
     * reports once, with {@link Attempt#succeeded} or {@link Attempt#failed}. Goes by the same state as
     * {@link #call}: overrides, the fleet's holds, the local breaker. No retries, no timeout: the caller has its own.
     *
     * @throws BreakerOpenException if no call may be made now
     */
    public Attempt attempt() {
        BreakerOverride forced = override;
        if (forced != null && forced.mode() == BreakerOverride.Mode.FORCE_OPEN) {
            rejectedCalls.incrementAndGet();
            throw new BreakerOpenException(name(), settings.openDuration(), "by an operator (" + forced.by() + ")");
        }
        boolean bypass = forced != null && forced.mode() == BreakerOverride.Mode.DISABLED;
        Instant now = clock.instant();
        Optional<Instant> held = inheritedUntil(now).or(() -> heldUntil(now));
        if (!bypass && (held.isPresent() || !breaker.tryAcquirePermit())) {
            rejectedCalls.incrementAndGet();
            throw new BreakerOpenException(name(), held.map(until -> Duration.between(now, until))
                    .orElseGet(breaker::getRemainingDelay));
        }
        return new Attempt(System.nanoTime(), bypass);
    }

    /** One call made under {@link #attempt}: report how it went, once. */
    public final class Attempt {

        private final long startNanos;
        private final boolean bypass;

        private Attempt(long startNanos, boolean bypass) {
            this.startNanos = startNanos;
            this.bypass = bypass;
        }

        public void succeeded() {
            BreakerPolicy.this.succeeded(startNanos);
            if (!bypass) {
                breaker.recordSuccess();
            }
        }

        public void failed() {
            failedSince(startNanos);
            if (!bypass) {
                breaker.recordFailure();
            }
        }
    }

    /** The state operators see: the local breaker's, unless the fleet holds it open or an operator overrides it. */
    public BreakerState state() {
        return effective(clock.instant()).state();
    }

    /** How many calls may go now: all of them, a single trial, or none. */
    public Allowance allowance() {
        Instant now = clock.instant();
        BreakerOverride forced = override;
        if (forced != null && forced.isActive()) {
            return forced.mode() == BreakerOverride.Mode.FORCE_OPEN ? Allowance.NONE : Allowance.ALL;
        }
        if (inheritedUntil(now).isPresent() || heldUntil(now).isPresent()) {
            return Allowance.NONE;
        }
        return switch (breaker.getState()) {
            case CLOSED -> Allowance.ALL;
            case HALF_OPEN -> Allowance.TRIAL;
            // Failsafe half-opens lazily, on the first call after the delay: that call is the trial.
            case OPEN -> breaker.getRemainingDelay().isZero() ? Allowance.TRIAL : Allowance.NONE;
        };
    }

    /** What may go through the breaker now. */
    public enum Allowance { ALL, TRIAL, NONE }

    /** How long until this breaker lets a (trial) call through: zero unless open; its open time if forced open. */
    public Duration untilTrial() {
        Instant now = clock.instant();
        Effective current = effective(now);
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
        if (!sharing || !health.breaker().equals(name())) {
            return;
        }
        cluster = health;
        inheritFromPredecessor(health);
        if (inheritedOpenUntil != null && recoveredSince(startedAt)) {
            inheritedOpenUntil = null;
        }
        CircuitBreaker.State local = breaker.getState();
        Instant recovered = health.recoveredAt();
        Instant opened = localOpenedAt;
        if (local != CircuitBreaker.State.CLOSED && recovered != null && opened != null && recovered.isAfter(opened)) {
            localCause = BreakerCause.CLUSTER_RECOVERED;
            log.info("Breaker {}: another instance's trial call succeeded; closing here too", name());
            breaker.close();
        } else if (local == CircuitBreaker.State.CLOSED && heldUntil(clock.instant()).isEmpty()) {
            openIfTheFleetFailedEnough();
        }
        refresh();
    }

    /**
     * Opens the breaker on other evidence than its own calls (a failed health probe): calls are refused at once
     * instead of each waiting to fail. Does nothing if it is open already.
     *
     * @param because completes "opened ..." in the log
     */
    public void trip(String because) {
        if (breaker.isClosed()) {
            openedBecause = because;
            localCause = BreakerCause.FAILURES;
            breaker.open();
        }
    }

    /** Closes a breaker that {@link #trip} (or failures) opened, once other evidence says the dependency is back. */
    public void untrip() {
        if (!breaker.isClosed()) {
            breaker.close();
        }
    }

    /** The news of one poll has been applied: calls waiting for the fleet to count their failures look again. */
    public void fleetNewsApplied() {
        synchronized (fleetNews) {
            fleetNews.notifyAll();
        }
    }

    /** An operator's override for this breaker arrived (from {@code breaker.control}). */
    public void onOverride(BreakerOverride newOverride) {
        if (!newOverride.breaker().equals(name())) {
            return;
        }
        override = newOverride.isActive() ? newOverride : null;
        log.warn("Breaker {}: {} by {}{}", name(), switch (newOverride.mode()) {
            case FORCE_OPEN -> "forced open";
            case DISABLED -> "disabled (calls go through unguarded)";
            case AUTO -> "back to automatic";
        }, newOverride.by(), newOverride.reason() == null ? "" : ": " + newOverride.reason());
        refresh();
    }

    /** Re-evaluates the state (a hold may have run out) and reports it if it changed. Called every so often. */
    public void refresh() {
        BreakerEvent event;
        synchronized (this) {
            Instant now = clock.instant();
            Effective current = effective(now);
            boolean holdEnded = reportedHold && !current.hold() && current.cause() != BreakerCause.OPERATOR
                    && breaker.isClosed();
            if (holdEnded && recoveredSince(heldSince)) {
                localCause = BreakerCause.CLUSTER_RECOVERED;
                current = effective(now);
            } else if (holdEnded) {
                // Our predecessor's open time ran out, or the instance we followed went quiet without a verdict:
                // our next call is the trial.
                heldSince = null;
                inheritedOpenUntil = null;
                log.info("Breaker {}: no verdict from the fleet on {}; the next call here is a trial", name(), name());
                breaker.halfOpen();
                return;
            }
            if (current.state() == reportedState && current.cause() == reportedCause) {
                reportedHold = current.hold();
                return;
            }
            BreakerState previous = reportedState;
            if (previous == BreakerState.CLOSED) {
                openedAt = now;
            }
            if (current.state() == BreakerState.CLOSED) {
                openedAt = null;
            }
            if (current.cause() == BreakerCause.CLUSTER && reportedCause != BreakerCause.CLUSTER) {
                heldSince = now;
                log.warn("Breaker {} held open: another instance found {} failing; refusing calls here too", name(), name());
            }
            reportedState = current.state();
            reportedCause = current.cause();
            reportedHold = current.hold();
            event = report(BreakerEvent.Kind.TRANSITION, previous, now, null);
        }
        publish(event);
    }

    /** Who reports this breaker: its instance id. */
    public String instanceId() {
        return instanceId;
    }

    /**
     * Calls by outcome since the instance started: {@code success}, {@code failure} (the dependency failed),
     * {@code timeout} (it did not answer in time) and {@code rejected} (refused while open). Failures and timeouts
     * together are what health reports as failed calls.
     */
    public java.util.Map<String, Long> callsByOutcome() {
        long timedOut = timedOutCalls.get();
        return java.util.Map.of("success", successfulCalls.get(), "failure", failedCalls.get() - timedOut,
                "timeout", timedOut, "rejected", rejectedCalls.get());
    }

    /** Told of every call that reached the dependency: its outcome and how long it took. */
    @FunctionalInterface
    public interface CallObserver {
        /** @param outcome {@code success}, {@code failure} or {@code timeout} */
        void finished(String outcome, long nanos);
    }

    /** Sets the one observer of finished calls (metrics), or none with null. */
    public void observeCalls(CallObserver observer) {
        this.callObserver = observer;
    }

    /** A snapshot for the periodic report, with the latency histogram of the last window. */
    public BreakerEvent snapshot() {
        synchronized (this) {
            return report(BreakerEvent.Kind.SNAPSHOT, null, clock.instant(), latency.encodedWindow(System.nanoTime()));
        }
    }

    private BreakerEvent report(BreakerEvent.Kind kind, BreakerState previous, Instant now, String histogram) {
        Effective current = effective(now);
        Instant openUntil = switch (current.state()) {
            case OPEN -> current.until();
            case HALF_OPEN, CLOSED -> null;
        };
        return new BreakerEvent(BreakerEvent.SCHEMA_VERSION, kind, name(), instanceId, startedAt, now,
                current.state(), previous, current.cause(), consecutiveFailures.get(), settings.failureThreshold(),
                settings.openDuration().toMillis() / 1000.0, totalCalls(), successfulCalls.get(),
                failedCalls.get(), rejectedCalls.get(), lastSuccessAt, lastFailureAt,
                current.state() == BreakerState.CLOSED ? null : openedAt, openUntil,
                histogram == null ? null : latency.window().toSeconds(), histogram);
    }

    private Effective effective(Instant now) {
        BreakerOverride forced = override;
        if (forced != null && forced.mode() == BreakerOverride.Mode.FORCE_OPEN) {
            return new Effective(BreakerState.OPEN, BreakerCause.OPERATOR, null, false);
        }
        if (forced != null && forced.mode() == BreakerOverride.Mode.DISABLED) {
            return new Effective(BreakerState.CLOSED, BreakerCause.OPERATOR, null, false);
        }
        Optional<Instant> inherited = inheritedUntil(now);
        if (inherited.isPresent()) {
            return new Effective(BreakerState.OPEN, BreakerCause.FAILURES, inherited.get(), true);
        }
        Optional<Instant> held = heldUntil(now);
        if (held.isPresent()) {
            return new Effective(BreakerState.OPEN, BreakerCause.CLUSTER, held.get(), true);
        }
        return switch (breaker.getState()) {
            case CLOSED -> new Effective(BreakerState.CLOSED, localCause == BreakerCause.CLUSTER_RECOVERED
                    || localCause == BreakerCause.TRIAL_SUCCEEDED ? localCause : BreakerCause.HEALTHY, null, false);
            case HALF_OPEN -> new Effective(BreakerState.HALF_OPEN, BreakerCause.DELAY_ELAPSED, null, false);
            case OPEN -> new Effective(BreakerState.OPEN, localCause, now.plus(breaker.getRemainingDelay()), false);
        };
    }

    /**
     * Until when the fleet holds this instance open: while another instance that found the dependency failing
     * itself is open or trying it, and is due to try before us, we wait for its verdict (up to its trial time plus a
     * grace) rather than pay our own failures or send trial calls of our own.
     */
    private Optional<Instant> heldUntil(Instant now) {
        BreakerHealth health = cluster;
        if (!sharing || health == null || breaker.isHalfOpen()) {
            return Optional.empty();
        }
        Optional<Map.Entry<String, BreakerHealth.InstanceView>> prober = health.byInstance().entrySet().stream()
                .filter(entry -> entry.getValue().isTripped() && !isThisInstance(entry.getKey(), entry.getValue()))
                .min(Comparator.comparing((Map.Entry<String, BreakerHealth.InstanceView> entry) -> trialAt(entry.getValue()))
                        .thenComparing(Map.Entry::getKey));
        if (prober.isEmpty()) {
            return Optional.empty();
        }
        Instant theirTrial = trialAt(prober.get().getValue());
        if (breaker.isOpen()) {
            Instant ourTrial = now.plus(breaker.getRemainingDelay());
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
     * While this instance's last calls failed, the next one first waits (briefly) for the fleet's view to include
     * those failures: if the fleet's count has reached the threshold meanwhile, the call is refused instead of
     * adding one more failure. Costs nothing while calls succeed, or without a fleet.
     */
    private void awaitTheFleetCountingOurFailures() {
        long ours = consecutiveFailures.get();
        if (!sharing || cluster == null || ours == 0 || !breaker.isClosed()) {
            return;
        }
        long deadline = System.nanoTime() + FLEET_SYNC.toNanos();
        synchronized (fleetNews) {
            while (!fleetHasCounted(ours) && breaker.isClosed()) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(fleetNews, remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private boolean fleetHasCounted(long failures) {
        BreakerHealth health = cluster;
        BreakerHealth.InstanceView us = health.byInstance().get(instanceId);
        Instant failedAt = lastFailureAt;
        return consecutiveFailures.get() < failures || heldUntil(clock.instant()).isPresent()
                || us != null && startedAt.equals(us.startedAt()) && us.failureCount() >= failures
                && (failedAt == null || health.updatedAt() == null || !health.updatedAt().isBefore(failedAt.plus(FLEET_SETTLE)));
    }

    private Optional<Instant> inheritedUntil(Instant now) {
        Instant until = inheritedOpenUntil;
        return until != null && until.isAfter(now) && breaker.isClosed() && override == null
                ? Optional.of(until) : Optional.empty();
    }

    /** On the first news after a restart: if our predecessor had found the dependency failing, carry on from there. */
    private void inheritFromPredecessor(BreakerHealth health) {
        if (totalCalls() > 0 || inheritedOpenUntil != null) {
            return;
        }
        BreakerHealth.InstanceView predecessor = health.byInstance().get(instanceId);
        if (predecessor != null && predecessor.isTripped() && predecessor.startedAt() != null
                && predecessor.startedAt().isBefore(startedAt) && predecessor.state() == BreakerState.OPEN
                && predecessor.openUntil() != null && predecessor.openUntil().isAfter(clock.instant())) {
            inheritedOpenUntil = predecessor.openUntil();
            heldSince = startedAt;
            log.warn("Breaker {} starts open, as this instance left it before its restart: next trial at {}", name(),
                    predecessor.openUntil());
        }
    }

    private void openIfTheFleetFailedEnough() {
        BreakerHealth health = cluster;
        BreakerOverride forced = override;
        if (health == null || forced != null || !breaker.isClosed()) {
            return;
        }
        long others = health.byInstance().entrySet().stream()
                .filter(entry -> !isThisInstance(entry.getKey(), entry.getValue()))
                .filter(entry -> entry.getValue().state() == BreakerState.CLOSED)
                .filter(entry -> health.recoveredAt() == null || entry.getValue().reportedAt().isAfter(health.recoveredAt()))
                .mapToLong(entry -> entry.getValue().failureCount())
                .sum();
        long ours = consecutiveFailures.get();
        if (others > 0 && ours + others >= settings.failureThreshold()) {
            log.warn("Breaker {}: the fleet counted {} consecutive failures ({} here); opening", name(), ours + others, ours);
            localCause = BreakerCause.FAILURES;
            breaker.open();
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

    private static Instant trialAt(BreakerHealth.InstanceView view) {
        if (view.state() == BreakerState.OPEN && view.openUntil() != null) {
            return view.openUntil();
        }
        return view.reportedAt() == null ? Instant.EPOCH : view.reportedAt();
    }

    private <T> dev.failsafe.function.ContextualSupplier<T, T> measured(CheckedSupplier<T> call) {
        return context -> {
            long start = System.nanoTime();
            try {
                T result = call.get();
                succeeded(start);
                return result;
            } catch (DependencyRejectedException e) {
                // The dependency answered, and is healthy: the request was at fault.
                succeeded(start);
                throw e;
            } catch (Throwable e) {
                long elapsed = System.nanoTime() - start;
                // Failsafe's timeout interrupts the call and cancels its execution; an interrupt from anywhere else
                // means the work was abandoned (a rebalance, a shutdown): not the dependency's doing, no verdict.
                // (Not told by the time taken: the timeout's clock starts a moment before this one.)
                boolean timedOut = context.isCancelled() || elapsed >= settings.callTimeout().toNanos();
                if (e instanceof InterruptedException && !timedOut) {
                    throw e;
                }
                if (timedOut) {
                    timedOutCalls.incrementAndGet();
                    failedSince(start, "timeout");
                } else {
                    failedSince(start, "failure");
                }
                throw e;
            }
        };
    }

    private void failedSince(long startNanos) {
        failedSince(startNanos, "failure");
    }

    private void failedSince(long startNanos, String outcome) {
        long elapsed = System.nanoTime() - startNanos;
        latency.record(elapsed);
        observe(outcome, elapsed);
        failedCalls.incrementAndGet();
        lastFailureAt = clock.instant();
        // Failures of calls that were still out when the breaker opened do not count: it had decided.
        long failures = breaker.isOpen() ? consecutiveFailures.get() : consecutiveFailures.incrementAndGet();
        if (breaker.isClosed()) {
            publishFailureCount();
            if (failures < settings.failureThreshold()) {
                openIfTheFleetFailedEnough();
            }
        }
    }

    private void succeeded(long startNanos) {
        long elapsed = System.nanoTime() - startNanos;
        latency.record(elapsed);
        observe("success", elapsed);
        successfulCalls.incrementAndGet();
        lastSuccessAt = clock.instant();
        if (consecutiveFailures.getAndSet(0) > 0 && breaker.isClosed()) {
            publishFailureCount();
        }
    }

    private void observe(String outcome, long nanos) {
        CallObserver observer = callObserver;
        if (observer != null) {
            observer.finished(outcome, nanos);
        }
    }

    private void publishFailureCount() {
        if (listeners.isEmpty()) {
            return;
        }
        BreakerEvent event;
        synchronized (this) {
            event = report(BreakerEvent.Kind.FAILURES, null, clock.instant(), null);
        }
        publish(event);
    }

    private void publish(BreakerEvent event) {
        for (Consumer<BreakerEvent> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                log.warn("Breaker {}: a listener failed on {}: {}", name(), event.kind().json(), e.toString());
            }
        }
    }

    /** Every attempt that reached the dependency, and every one refused: successful + failed + rejected. */
    private long totalCalls() {
        return successfulCalls.get() + failedCalls.get() + rejectedCalls.get();
    }

    private static Optional<Duration> retryAfter(Throwable failure) {
        return failure instanceof DependencyUnavailableException unavailable ? unavailable.retryAfter() : Optional.empty();
    }

    /**
     * Whether an attempt's failure says the dependency is failing. A rejection of the request does not, nor does an
     * interrupt from outside (abandoned work); a timed-out attempt reaches the breaker as a timeout, which does.
     */
    private static boolean countsAgainstBreaker(Throwable failure) {
        return failure != null && !(failure instanceof DependencyRejectedException)
                && !(failure instanceof CircuitBreakerOpenException) && !(failure instanceof InterruptedException);
    }

    /**
     * Who reports this breaker.
     *
     * @param instanceId {@code instance.id}, stable across restarts
     * @param startedAt when this process started, telling it from its predecessor with the same id
     */
    public record Identity(String instanceId, Instant startedAt) {
    }

    /** @param hold whether the state comes from the fleet (a hold, or our predecessor's open breaker) */
    private record Effective(BreakerState state, BreakerCause cause, Instant until, boolean hold) {
    }
}
