package io.breakwater.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every dependency Breakwater guards, with its breaker's defaults: the one place to add one. The names are the seed's,
 * and a promise to operators: they appear on {@code /health}, in {@code breaker.health}, in metrics and in
 * {@code breakwater breaker}. Each figure can be changed by {@code BW_BREAKER_<NAME>_<FIGURE>}
 * ({@link BreakerSettings#from}).
 *
 * <p>Adding a dependency: a constant here (and in {@link #ALL}), then one {@code BreakerPolicy} built from it where
 * the calls are made, listed with the worker's other breakers so the fleet shares its state.
 */
public final class Dependencies {

    /** The LLM: the seed's 5 failures and 60 s open, a 30 s call timeout, two retries from 0.5 s backoff. */
    public static final BreakerSettings LLM_SERVICE = new BreakerSettings("llm_service", 5, 1,
            Duration.ofSeconds(60), Duration.ofSeconds(30), 2, Duration.ofMillis(500), Duration.ofSeconds(8));

    /**
     * MongoDB: the seed's stricter 3 failures and 30 s open (it should be reliable); a 10 s call timeout (the driver
     * gives up on an unreachable server after 5), no retries: the work parks instead.
     */
    public static final BreakerSettings MONGODB = new BreakerSettings("mongodb", 3, 1, Duration.ofSeconds(30),
            Duration.ofSeconds(10), 0, Duration.ofMillis(500), Duration.ofSeconds(8));

    /**
     * Retrieval over the crawled pages: the seed's 5 failures and 60 s open. A search is local and quick, so a 5 s
     * timeout and no retries: a question whose retrieval fails is answered without context, not held up.
     */
    public static final BreakerSettings VECTOR_DB = new BreakerSettings("vector_db", 5, 1, Duration.ofSeconds(60),
            Duration.ofSeconds(5), 0, Duration.ofMillis(500), Duration.ofSeconds(1));

    /** Kafka, for the API: opens after 3 failed sends or a failed health probe, and tries again after 10 s. */
    public static final BreakerSettings KAFKA = new BreakerSettings("kafka", 3, 1, Duration.ofSeconds(10),
            Duration.ofSeconds(5), 0, Duration.ofMillis(500), Duration.ofSeconds(1));

    /**
     * A crawled site, one breaker per host ({@code crawler:<host>}): the seed's crawler figures, the most tolerant
     * of the breakers (external sites), open 90 s.
     */
    public static final BreakerSettings CRAWLER = new BreakerSettings("crawler", 5, 1, Duration.ofSeconds(90),
            Duration.ofSeconds(25), 1, Duration.ofSeconds(1), Duration.ofSeconds(8));

    /** Every dependency, the crawler's family by its prefix. */
    public static final List<BreakerSettings> ALL = List.of(LLM_SERVICE, MONGODB, VECTOR_DB, KAFKA, CRAWLER);

    private Dependencies() {
    }

    /**
     * The breaker of the LLM's n-th fallback deployment ({@code n} ≥ 1): {@code llm_service_fallback}, then
     * {@code llm_service_fallback_2} and on. The primary's is {@link #LLM_SERVICE}'s.
     */
    public static String llmFallback(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("fallbacks are numbered from 1 but was " + n);
        }
        return LLM_SERVICE.name() + "_fallback" + (n == 1 ? "" : "_" + n);
    }

    /** Whether {@code breaker} guards one of the LLM's deployments, the primary or a fallback. */
    public static boolean isLlmDeployment(String breaker) {
        return breaker.equals(LLM_SERVICE.name()) || breaker.startsWith(LLM_SERVICE.name() + "_fallback");
    }

    /** The defaults of the dependency named {@code name} ({@code crawler:<host>} is the crawler's), if it is one. */
    public static Optional<BreakerSettings> named(String name) {
        String base = name.startsWith(CRAWLER.name() + ":") ? CRAWLER.name()
                : isLlmDeployment(name) ? LLM_SERVICE.name() : name;
        return ALL.stream().filter(dependency -> dependency.name().equals(base)).findFirst();
    }
}
