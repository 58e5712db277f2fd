package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.event.AnsweredBy;

/**
 * Review (issue 14): OpenAiAnswerer maps every 4xx but 408/429 to DependencyRejectedException, and LlmChain rethrows
 * a rejection without asking the next deployment. But 401/403 (the primary deployment's key revoked or expired) and
 * 404 (its deployment or model deleted / renamed) say nothing about the question: they are the very "deployment is
 * broken" outages fallback deployments exist for. With a fallback configured and healthy, every question fails for
 * good (exactly-once: a failure is final) instead of being answered by the fallback; and since a rejection does not
 * count against the breaker, llm_service never opens either.
 */
class LlmChainDeploymentRejectionReviewTest {

    private static final BreakerSettings FIGURES = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
            Duration.ofSeconds(30), 0, Duration.ofMillis(500), Duration.ofSeconds(8));

    @Test
    void shouldAskTheFallbackWhenThePrimaryDeploymentRefusesItsOwnCredentials() {
        AtomicInteger fallbackCalls = new AtomicInteger();
        LlmChain chain = new LlmChain(List.of(
                new LlmChain.Deployment(new BreakerPolicy(FIGURES), (question, context) -> {
                    throw new DependencyRejectedException("the LLM rejected the request with HTTP 401: invalid api key");
                }),
                new LlmChain.Deployment(new BreakerPolicy(FIGURES.named("llm_service_fallback")), (question, context) -> {
                    fallbackCalls.incrementAndGet();
                    return new Answer("Because.", List.of(), new AnsweredBy(AnsweredBy.LLM, "backup"));
                })));

        Answer answer = null;
        try {
            answer = chain.answer("Why?", List.of());
        } catch (DependencyRejectedException e) {
            // falls through to the assertions
        }

        assertThat(fallbackCalls).as("the healthy fallback was never asked").hasValue(1);
        assertThat(answer).isNotNull();
    }
}
