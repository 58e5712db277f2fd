package io.breakwater.qa;

import io.breakwater.core.breaker.DependencyRejectedException;

/**
 * A deployment rejected the prompt as longer than its context window (OpenAI's {@code context_length_exceeded}, or a
 * server that says as much): the question is not bad in itself, and a deployment with a larger window may take it.
 */
final class PromptTooLongException extends DependencyRejectedException {

    private static final long serialVersionUID = 1L;

    PromptTooLongException(String message) {
        super(message);
    }
}
