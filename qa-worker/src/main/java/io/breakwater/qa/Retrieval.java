package io.breakwater.qa;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.breaker.DependencyUnavailableException;

/**
 * Retrieval through the {@code vector_db} breaker: the passages of crawled pages that best match a question. When the
 * breaker is open, or the search fails, the question goes on without context (and its answer says why) instead of
 * being parked or lost: an answer from the model alone beats no answer. Thread-safe if the search is.
 */
final class Retrieval {

    private static final Logger log = LoggerFactory.getLogger(Retrieval.class);

    /**
     * What retrieval gave a question.
     *
     * @param passages the best matches, best first; empty when none matched or retrieval was unavailable
     * @param missing why there are no passages because retrieval was unavailable; empty when it answered
     */
    record Context(List<Passage> passages, Optional<String> missing) {
        Context {
            passages = List.copyOf(passages);
            Objects.requireNonNull(missing, "missing");
        }
    }

    private final BreakerPolicy breaker;
    private final Function<String, List<Passage>> search;

    /** @param search the best matches for a question, best first; may throw, which counts against the breaker */
    Retrieval(BreakerPolicy breaker, Function<String, List<Passage>> search) {
        this.breaker = breaker;
        this.search = search;
    }

    /** The context for {@code question}; never throws for retrieval's own failures. */
    Context forQuestion(String question) {
        try {
            return new Context(breaker.call(() -> search.apply(question)), Optional.empty());
        } catch (BreakerOpenException e) {
            return new Context(List.of(), Optional.of(breaker.name() + " is open: answered without retrieved pages"));
        } catch (DependencyUnavailableException | DependencyRejectedException e) {
            log.warn("Retrieval failed, answering without context: {}", e.getMessage());
            return new Context(List.of(), Optional.of(breaker.name() + " failed (" + e.getMessage()
                    + "): answered without retrieved pages"));
        }
    }
}
