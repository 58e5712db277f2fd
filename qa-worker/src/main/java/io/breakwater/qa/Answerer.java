package io.breakwater.qa;

import java.util.List;

/**
 * Answers a question from the given context. Implementations are thread-safe: the worker calls one from many
 * threads at once, through the {@code llm_service} breaker.
 */
public interface Answerer {

    /**
     * @throws io.breakwater.core.breaker.DependencyUnavailableException if the answerer is down, slow or garbled
     * @throws io.breakwater.core.breaker.DependencyRejectedException if it refused this question as a bad request
     */
    Answer answer(String question, List<Passage> context) throws InterruptedException;

    /**
     * Whether an answer costs enough (a paid, slow model call) to be stored the moment it comes, before its batch
     * commits, so that a crash loses at most the calls in flight; a cheap answerer's answers are stored with their
     * batch and, after a crash, simply answered again.
     */
    default boolean costly() {
        return false;
    }

    /** About how many tokens the prompt for this question and context takes; 0 if it has no context window. */
    default int promptTokens(String question, List<Passage> context) {
        return 0;
    }
}
