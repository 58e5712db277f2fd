package io.breakwater.qa;

import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.failsafe.TimeoutExceededException;
import dev.failsafe.function.CheckedSupplier;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyGate;
import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.limit.CallLimiter;

/**
 * The LLM's deployments in the order they are tried: the primary (its breaker is the seed's {@code llm_service}), then
 * each fallback, each behind a fleet-wide breaker of its own. A question whose call fails on one deployment (its
 * retries spent, or its breaker open) goes to the next at once; it parks only when every deployment is open or
 * failing. A question the model rejects as bad fails at once: another deployment would reject it too. The answer
 * says which deployment answered ({@link AnsweredBy#depth}). A deployment whose context window is set and too small
 * for the prompt is skipped; a prompt that fits none fails as a bad request.
 *
 * <p>Each deployment's calls in flight are bounded by its own {@link CallLimiter}, which learns what the deployment
 * takes from its latency and its 429s: a call waits its turn for a permit (at most the breaker's call timeout, after
 * which the question is refused as by an open breaker) rather than being sent to be refused. When every deployment is cooling down (they asked callers to wait) and the first
 * cooldown ends within {@link #MAX_PACE}, the question waits for it in place and is asked again: a rate limit paces
 * the calls instead of parking the question. Thread-safe.
 */
final class LlmChain {

    private static final Logger log = LoggerFactory.getLogger(LlmChain.class);

    /**
     * The longest a question waits in place for cooldowns, in all: a longer wait parks it, and frees its thread. A
     * provider's 429 for a burst asks for a second or less; one for a spent quota asks for minutes.
     */
    static final Duration MAX_PACE = Duration.ofSeconds(2);

    /** Tokens a prompt leaves free in a deployment's context window for the answer, at least. */
    static final int ANSWER_TOKENS = 256;

    /**
     * One deployment: its breaker, its limit of calls in flight, what calls it, and its context window in tokens (0
     * when not set: every prompt is sent).
     */
    record Deployment(BreakerPolicy breaker, CallLimiter limiter, Answerer answerer, int contextTokens) {
        Deployment {
            Objects.requireNonNull(breaker, "breaker");
            Objects.requireNonNull(limiter, "limiter");
            Objects.requireNonNull(answerer, "answerer");
        }

        /** A deployment whose context window is not set. */
        Deployment(BreakerPolicy breaker, CallLimiter limiter, Answerer answerer) {
            this(breaker, limiter, answerer, 0);
        }

        /** Whether a prompt of {@code tokens} leaves room for an answer in its context window. */
        boolean fits(int tokens) {
            return contextTokens == 0 || (long) tokens + ANSWER_TOKENS <= contextTokens;
        }

        /** A deployment whose limit of calls in flight may grow to the default ceiling. */
        Deployment(BreakerPolicy breaker, Answerer answerer) {
            this(breaker, new CallLimiter(breaker.name(), QaWorkerSettings.DEFAULT_CONCURRENCY, System::nanoTime),
                    answerer);
        }
    }

    /** Spreads the callers that waited for one cooldown over a moment, instead of all at its end. */
    private static final long PACE_JITTER_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private static final Duration FAILOVER_LOG_EVERY = Duration.ofSeconds(10);

    private final List<Deployment> deployments;
    /** When each deployment's failover was last logged at INFO ({@link System#nanoTime}). */
    private final AtomicLongArray lastFailoverLog;
    private final DependencyGate gate;

    LlmChain(List<Deployment> deployments) {
        if (deployments.isEmpty()) {
            throw new IllegalArgumentException("an LLM chain needs at least its primary");
        }
        this.deployments = List.copyOf(deployments);
        this.lastFailoverLog = new AtomicLongArray(deployments.size());
        for (int depth = 0; depth < deployments.size(); depth++) {
            lastFailoverLog.set(depth, System.nanoTime() - FAILOVER_LOG_EVERY.toNanos());
        }
        this.gate = deployments.size() == 1 ? primary()
                : DependencyGate.anyOf(primary().name(), deployments.stream().map(Deployment::breaker).toList());
    }

    /** The primary's breaker: work parks under its name. */
    BreakerPolicy primary() {
        return deployments.get(0).breaker();
    }

    /** What replay of parked questions waits for: any deployment that may take a call. */
    DependencyGate gate() {
        return gate;
    }

    /** Each deployment's limit of calls in flight, primary first: for metrics. */
    List<CallLimiter> limiters() {
        return deployments.stream().map(Deployment::limiter).toList();
    }

    /** Whether any deployment's answers cost enough to be stored the moment they come. */
    boolean costly() {
        return deployments.stream().anyMatch(deployment -> deployment.answerer().costly());
    }

    /**
     * Asks each deployment in turn until one answers; while every one is cooling down for less than {@link #MAX_PACE}
     * more, waits for the first to be done and asks again.
     *
     * @throws DependencyUnavailableException if a deployment was tried and none answered (the last one's failure)
     * @throws BreakerOpenException if every deployment refused at once, open or cooling (the soonest to try again)
     * @throws DependencyRejectedException if a deployment rejected the question as bad, or its prompt fits no
     *     deployment's context window
     */
    Answer answer(String question, List<Passage> context) {
        long paceUntil = System.nanoTime() + MAX_PACE.toNanos();
        while (true) {
            try {
                return askEach(question, context);
            } catch (BreakerOpenException e) {
                // Compared as durations first: a hold that ends in centuries must not overflow a count of nanoseconds.
                if (!e.cooling() || e.remainingOpen().compareTo(MAX_PACE) > 0) {
                    throw e;
                }
                long wait = e.remainingOpen().toNanos() + ThreadLocalRandom.current().nextLong(PACE_JITTER_NANOS);
                if (System.nanoTime() + wait > paceUntil) {
                    throw e;
                }
                pause(wait);
            }
        }
    }

    private Answer askEach(String question, List<Passage> context) {
        DependencyUnavailableException failed = null;
        Duration soonest = null;
        boolean allCooling = true;
        // When some deployment may be asked again: a parked question waits for the first, not for the primary.
        Duration again = null;
        int tokens = 0;
        int skipped = 0;
        BreakerOpenException refusal = null;
        PromptTooLongException tooLong = null;
        for (int depth = 0; depth < deployments.size(); depth++) {
            Deployment deployment = deployments.get(depth);
            if (deployment.contextTokens() > 0) {
                tokens = deployment.answerer().promptTokens(question, context);
                if (!deployment.fits(tokens)) {
                    skipped++;
                    continue;
                }
            }
            try {
                Answer answer = limited(deployment, depth + 1 < deployments.size(), question, context);
                return AnsweredBy.LLM.equals(answer.answeredBy().kind())
                        ? answer.atDepth(depth) : answer;
            } catch (BreakerOpenException e) {
                refusal = e;
                soonest = sooner(soonest, e.remainingOpen());
                again = sooner(again, e.remainingOpen());
                allCooling &= e.cooling();
            } catch (PromptTooLongException e) {
                // Its window is smaller than its settings said, or than the estimate: a larger one may take it.
                tooLong = e;
                skipped++;
                log.info("{} rejected the prompt as too long ({}); asking the next deployment, if any",
                        deployment.breaker().name(), e.getMessage());
            } catch (DependencyUnavailableException e) {
                failed = e;
                again = sooner(again, e.retryAfter().orElse(Duration.ZERO));
                if (depth + 1 < deployments.size()) {
                    logFailover(depth, e);
                }
            }
        }
        if (skipped == deployments.size()) {
            if (tooLong != null) {
                throw tooLong;
            }
            throw new DependencyRejectedException("the prompt (about " + tokens + " tokens, and " + ANSWER_TOKENS
                    + " for the answer) fits no deployment's context window (the largest is "
                    + deployments.stream().mapToInt(Deployment::contextTokens).max().orElse(0) + " tokens)");
        }
        if (failed != null) {
            throw deployments.size() == 1 ? failed
                    : new DependencyUnavailableException(failed.getMessage(), again, failed);
        }
        if (deployments.size() == 1) {
            throw refusal; // its own words: open, cooling, or busy
        }
        throw allCooling ? BreakerOpenException.cooling(primary().name(), soonest,
                "cooling down, as is every fallback", false)
                : new BreakerOpenException(primary().name(), soonest, "as is every fallback");
    }

    /**
     * One call to {@code deployment} under its limiter: a permit first (unless its breaker refuses calls now, which it
     * does at once), and what the call came to teaches the limiter. A deployment with another behind it
     * gets one attempt: the next deployment is its retry, and a retry's backoff would only delay the answer.
     */
    private static Answer limited(Deployment deployment, boolean nextBehind, String question,
                                  List<Passage> context) {
        BreakerPolicy breaker = deployment.breaker();
        // Refused at once, with no permit, while open or cooling: and never called without a permit, even by a
        // caller that saw it refuse a moment before it stopped refusing.
        breaker.refuseIfOpen();
        CallLimiter.Permit permit = permit(deployment);
        CheckedSupplier<Answer> call = () -> {
            permit.attemptStarting();
            return deployment.answerer().answer(question, context);
        };
        try {
            Answer answer = nextBehind ? breaker.callOnce(call) : breaker.call(call);
            permit.succeeded();
            // Its quota is running out: the fleet slows down now, rather than meet a 429 later.
            answer.pause().ifPresent(pause -> breaker.coolFor(pause, "its remaining quota is low"));
            return answer;
        } catch (BreakerOpenException e) {
            if (e.rateLimited()) {
                permit.rateLimited();
            }
            throw e;
        } catch (DependencyUnavailableException e) {
            if (timedOut(e)) {
                permit.timedOut();
            }
            throw e;
        } finally {
            permit.ignored(); // a no-op once the permit has ended
        }
    }

    /**
     * A permit to call {@code deployment}, waiting at most its breaker's call timeout. A question that waited that long
     * was refused, not failed: nothing was sent, so it parks without counting towards the park limit.
     */
    private static CallLimiter.Permit permit(Deployment deployment) {
        Duration wait = deployment.breaker().settings().callTimeout();
        try {
            return deployment.limiter().acquire(wait).orElseThrow(() -> new BreakerOpenException(
                    deployment.breaker().name(), wait, "to this question: all " + deployment.limiter().inFlight()
                            + " calls it may have at once stayed in flight for " + wait.toMillis() + " ms"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DependencyUnavailableException("interrupted waiting to call " + deployment.breaker().name(), e);
        }
    }

    /**
     * Says that a deployment failed and the next is asked: at INFO once per {@link #FAILOVER_LOG_EVERY} per deployment
     * (a dead primary with hundreds of questions in flight would write hundreds of lines at once), else at DEBUG.
     */
    private void logFailover(int depth, DependencyUnavailableException e) {
        long now = System.nanoTime();
        long last = lastFailoverLog.get(depth);
        boolean loud = now - last >= FAILOVER_LOG_EVERY.toNanos() && lastFailoverLog.compareAndSet(depth, last, now);
        String from = deployments.get(depth).breaker().name();
        String to = deployments.get(depth + 1).breaker().name();
        if (loud) {
            log.info("{} failed ({}); asking {} (said once per {} s)", from, e.getMessage(), to,
                    FAILOVER_LOG_EVERY.toSeconds());
        } else {
            log.debug("{} failed ({}); asking {}", from, e.getMessage(), to);
        }
    }

    /** Whether the call outlasted its timeout (the breaker's, or the HTTP client's backstop), not failed to connect. */
    static boolean timedOut(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof TimeoutExceededException
                    || cause instanceof HttpTimeoutException && !(cause instanceof HttpConnectTimeoutException)) {
                return true;
            }
        }
        return false;
    }

    private static void pause(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DependencyUnavailableException("interrupted waiting out a cooldown", e);
        }
    }

    private static Duration sooner(Duration current, Duration candidate) {
        return current == null || candidate.compareTo(current) < 0 ? candidate : current;
    }
}
