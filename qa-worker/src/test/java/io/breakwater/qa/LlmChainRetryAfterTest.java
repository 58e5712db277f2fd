package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.park.Parking;

/**
 * the primary fails with a long Retry-After (a 429 saying "come back in 10 minutes")
 * while the fallback's breaker is open for its last few seconds. LlmChain throws the primary's failure, so
 * QuestionHandler parks the question with the primary's Retry-After as its not-before: the question then waits for
 * the primary even though the fallback takes calls again long before, and replay's gate (ALL as soon as the fallback
 * closes) cannot help, since the not-before header holds the record regardless of the gate.
 */
class LlmChainRetryAfterTest {

    private static final BreakerSettings FIGURES = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(30),
            Duration.ofSeconds(30), 0, Duration.ofMillis(500), Duration.ofSeconds(8));

    @Test
    void shouldNotParkPastTheFallbacksReopeningForThePrimarysRetryAfter() {
        BreakerPolicy primary = new BreakerPolicy(FIGURES);
        BreakerPolicy fallback = new BreakerPolicy(FIGURES.named("llm_service_fallback"));
        fallback.breaker().open();
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, (question, context) -> {
            throw new DependencyUnavailableException("the LLM answered HTTP 429: slow down", Duration.ofMinutes(10),
                    null);
        }), new LlmChain.Deployment(fallback, (question, context) -> new Answer("Because.", List.of(),
                new AnsweredBy(AnsweredBy.LLM, "backup")))));

        DependencyUnavailableException e = catchThrowableOfType(() -> chain.answer("Why?", List.of()),
                DependencyUnavailableException.class);
        // What QuestionHandler parks with.
        Parking.Failure failure = Parking.Failure.of(chain.primary(), e);

        assertThat(failure.delay())
                .as("the fallback takes calls again within its open time; the question should not wait for the"
                        + " primary's 10 min")
                .isPositive().isLessThanOrEqualTo(FIGURES.openDuration());
        assertThat(failure.attempted()).as("the primary was asked: counted towards the park limit").isTrue();
    }
}
