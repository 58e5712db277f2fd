package io.breakwater.core.event;

import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What produced an answer, so that nobody mistakes an extractive fallback for a language model, or an answer made
 * without the crawled pages for one that drew on them.
 *
 * @param kind {@value #LLM} for a language model, {@value #OFFLINE} for the built-in extractive answerer
 * @param model the model's name, or the offline answerer's
 * @param withoutContext why the answer was made without retrieved pages (retrieval was unavailable), or null when
 *                       retrieval answered (even with nothing found); at most {@value #MAX_WITHOUT_CONTEXT} characters
 * @param depth which deployment of the LLM answered: 0 the primary, 1 its first fallback, and so on; null for the
 *              offline answerer
 */
public record AnsweredBy(String kind, String model,
                         @JsonInclude(JsonInclude.Include.NON_NULL) String withoutContext,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Integer depth) {

    public static final String LLM = "llm";
    public static final String OFFLINE = "offline";
    static final int MAX_WITHOUT_CONTEXT = 500;

    public AnsweredBy {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(model, "model");
        if (!kind.equals(LLM) && !kind.equals(OFFLINE)) {
            throw new IllegalArgumentException("answeredBy.kind must be 'llm' or 'offline' but was '" + kind + "'");
        }
        if (depth != null && depth < 0) {
            throw new IllegalArgumentException("answeredBy.depth must be 0 or more but was " + depth);
        }
        if (withoutContext != null && withoutContext.length() > MAX_WITHOUT_CONTEXT) {
            withoutContext = withoutContext.substring(0, MAX_WITHOUT_CONTEXT);
        }
    }

    /** An answer made with whatever retrieval found. */
    public AnsweredBy(String kind, String model) {
        this(kind, model, null, null);
    }

    /** The same answerer, saying that the answer was made without retrieved pages, and why. */
    public AnsweredBy withoutContext(String why) {
        return new AnsweredBy(kind, model, Objects.requireNonNull(why, "why"), depth);
    }

    /** The same answerer, as the deployment at {@code depth} of its chain. */
    public AnsweredBy atDepth(int depth) {
        return new AnsweredBy(kind, model, withoutContext, depth);
    }
}
