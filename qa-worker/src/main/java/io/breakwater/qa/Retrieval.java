package io.breakwater.qa;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.concurrent.HandlerThreads;

/**
 * Retrieval through the {@code vector_db} breaker: the passages of crawled pages that best match a question. When the
 * breaker is open, or the search fails or outlasts the breaker's timeout, the question goes on without context (and
 * its answer says why) instead of being parked or lost: an answer from the model alone beats no answer.
 *
 * <p>Searches run on threads of their own, up to one per caller that may search at once, made as searches come: a
 * search deaf to interrupts (Lucene's scoring loop is) holds one of those, never the caller's thread, and when they
 * are all held the question goes on without context after the timeout. Thread-safe if the search is; close to stop the search
 * threads.
 */
final class Retrieval implements AutoCloseable {

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
    private final ThreadPoolExecutor searches;

    /**
     * @param search the best matches for a question, best first; may throw, which counts against the breaker
     * @param callers threads that may search at once (both loops' handler threads): each gets a search thread, so
     *     that no healthy search spends its timeout queued
     */
    Retrieval(BreakerPolicy breaker, Function<String, List<Passage>> search, int callers) {
        this.breaker = breaker;
        this.search = search;
        // Made as searches come and ended after a minute idle: the callers may be hundreds (an adaptive LLM limit's
        // ceiling), the searches at once seldom more than a few.
        this.searches = HandlerThreads.platformPool("bw-retrieval", callers);
    }

    /** The context for {@code question}; never throws for retrieval's own failures. */
    Context forQuestion(String question) {
        try {
            return new Context(breaker.call(() -> searched(question)), Optional.empty());
        } catch (BreakerOpenException e) {
            return new Context(List.of(), Optional.of(breaker.name() + " is open: answered without retrieved pages"));
        } catch (DependencyUnavailableException | DependencyRejectedException e) {
            log.warn("Retrieval failed, answering without context: {}", e.getMessage());
            return new Context(List.of(), Optional.of(breaker.name() + " failed (" + e.getMessage()
                    + "): answered without retrieved pages"));
        }
    }

    /**
     * Searches on a search thread and waits at most the breaker's timeout for it. The breaker's own timeout interrupts
     * this wait; the search itself is cancelled, and if it does not listen, its thread stays busy until it ends.
     */
    private List<Passage> searched(String question) throws Exception {
        Future<List<Passage>> found = searches.submit(() -> search.apply(question));
        try {
            return found.get(breaker.settings().callTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | InterruptedException e) {
            found.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    @Override
    public void close() {
        searches.shutdownNow();
    }
}
