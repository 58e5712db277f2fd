package io.breakwater.core.event;

import java.util.Objects;

/**
 * What produced an answer, so that nobody mistakes an extractive fallback for a language model.
 *
 * @param kind {@value #LLM} for a language model, {@value #OFFLINE} for the built-in extractive answerer
 * @param model the model's name, or the offline answerer's
 */
public record AnsweredBy(String kind, String model) {

    public static final String LLM = "llm";
    public static final String OFFLINE = "offline";

    public AnsweredBy {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(model, "model");
        if (!kind.equals(LLM) && !kind.equals(OFFLINE)) {
            throw new IllegalArgumentException("answeredBy.kind must be 'llm' or 'offline' but was '" + kind + "'");
        }
    }
}
