package io.breakwater.qa;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyGate;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.event.AnsweredBy;

/**
 * The LLM's deployments in the order they are tried: the primary (its breaker is the seed's {@code llm_service}), then
 * each fallback, each behind a fleet-wide breaker of its own. A question whose call fails on one deployment (its
 * retries spent, or its breaker open) goes to the next at once; it parks only when every deployment is open or
 * failing. A question the model rejects as bad fails at once: another deployment would reject it too. The answer
 * says which deployment answered ({@link AnsweredBy#depth}). Thread-safe.
 */
final class LlmChain {

    private static final Logger log = LoggerFactory.getLogger(LlmChain.class);

    /** One deployment: its breaker and what calls it. */
    record Deployment(BreakerPolicy breaker, Answerer answerer) {
        Deployment {
            Objects.requireNonNull(breaker, "breaker");
            Objects.requireNonNull(answerer, "answerer");
        }
    }

    private final List<Deployment> deployments;
    private final DependencyGate gate;

    LlmChain(List<Deployment> deployments) {
        if (deployments.isEmpty()) {
            throw new IllegalArgumentException("an LLM chain needs at least its primary");
        }
        this.deployments = List.copyOf(deployments);
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

    /** Whether any deployment's answers cost enough to be stored the moment they come. */
    boolean costly() {
        return deployments.stream().anyMatch(deployment -> deployment.answerer().costly());
    }

    /**
     * Asks each deployment in turn until one answers.
     *
     * @throws DependencyUnavailableException if a deployment was tried and none answered (the last one's failure)
     * @throws BreakerOpenException if every deployment refused at once, open (the soonest to try again)
     * @throws io.breakwater.core.breaker.DependencyRejectedException if a deployment rejected the question as bad
     */
    Answer answer(String question, List<Passage> context) {
        DependencyUnavailableException failed = null;
        Duration soonest = null;
        // When some deployment may be asked again: a parked question waits for the first, not for the primary.
        Duration again = null;
        for (int depth = 0; depth < deployments.size(); depth++) {
            Deployment deployment = deployments.get(depth);
            try {
                Answer answer = deployment.breaker().call(() -> deployment.answerer().answer(question, context));
                return AnsweredBy.LLM.equals(answer.answeredBy().kind())
                        ? new Answer(answer.text(), answer.sources(), answer.answeredBy().atDepth(depth)) : answer;
            } catch (BreakerOpenException e) {
                soonest = sooner(soonest, e.remainingOpen());
                again = sooner(again, e.remainingOpen());
            } catch (DependencyUnavailableException e) {
                failed = e;
                again = sooner(again, e.retryAfter().orElse(Duration.ZERO));
                if (depth + 1 < deployments.size()) {
                    log.info("{} failed ({}); asking {}", deployment.breaker().name(), e.getMessage(),
                            deployments.get(depth + 1).breaker().name());
                }
            }
        }
        if (failed != null) {
            throw deployments.size() == 1 ? failed
                    : new DependencyUnavailableException(failed.getMessage(), again, failed);
        }
        throw new BreakerOpenException(primary().name(), soonest,
                deployments.size() == 1 ? "after repeated failures" : "as is every fallback");
    }

    private static Duration sooner(Duration current, Duration candidate) {
        return current == null || candidate.compareTo(current) < 0 ? candidate : current;
    }
}
