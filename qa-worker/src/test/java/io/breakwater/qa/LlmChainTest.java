package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyCoolingException;
import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.limit.CallLimiter;

/** A question goes down the LLM's deployments until one answers; it parks only when none can. */
class LlmChainTest {

    /** The LLM's figures without retries or backoff, so that a failing deployment is given up at once. */
    private static final BreakerSettings FIGURES = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
            Duration.ofSeconds(30), 0, Duration.ofMillis(500), Duration.ofSeconds(8));

    private final BreakerPolicy primary = new BreakerPolicy(FIGURES);
    private final BreakerPolicy fallback = new BreakerPolicy(FIGURES.named("llm_service_fallback"));
    private final AtomicInteger primaryCalls = new AtomicInteger();
    private final AtomicInteger fallbackCalls = new AtomicInteger();

    @Test
    void shouldAnswerFromTheFallbackAtOnceWhenThePrimaryFailsAndSaySo() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, failing(primaryCalls)),
                new LlmChain.Deployment(fallback, answering("backup-model", fallbackCalls))));

        Answer answer = chain.answer("Why?", List.of());

        assertThat(answer.answeredBy()).isEqualTo(new AnsweredBy(AnsweredBy.LLM, "backup-model", null, 1));
        assertThat(primaryCalls).hasValue(1);
    }

    @Test
    void shouldSkipAnOpenDeploymentWithoutCallingIt() {
        primary.breaker().open();
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, answering("main", primaryCalls)),
                new LlmChain.Deployment(fallback, answering("backup-model", fallbackCalls))));

        assertThat(chain.answer("Why?", List.of()).answeredBy().depth()).isEqualTo(1);
        assertThat(primaryCalls).hasValue(0);
    }

    @Test
    void shouldAnswerFromThePrimaryAtDepthZeroWhileItWorks() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, answering("main", primaryCalls)),
                new LlmChain.Deployment(fallback, answering("backup-model", fallbackCalls))));

        assertThat(chain.answer("Why?", List.of()).answeredBy()).isEqualTo(new AnsweredBy(AnsweredBy.LLM, "main", null, 0));
        assertThat(fallbackCalls).hasValue(0);
    }

    @Test
    void shouldRefuseUnderThePrimarysNameWhenEveryDeploymentIsOpen() {
        primary.breaker().open();
        fallback.breaker().open();
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, answering("main", primaryCalls)),
                new LlmChain.Deployment(fallback, answering("backup-model", fallbackCalls))));

        assertThatThrownBy(() -> chain.answer("Why?", List.of()))
                .isInstanceOfSatisfying(BreakerOpenException.class, open -> {
                    assertThat(open.breaker()).isEqualTo("llm_service");
                    assertThat(open.remainingOpen()).isPositive();
                })
                .hasMessageContaining("every fallback");
        assertThat(chain.gate().allowance()).isEqualTo(BreakerPolicy.Allowance.NONE);
    }

    @Test
    void shouldFailWithTheLastFailureWhenEveryDeploymentFails() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, failing(primaryCalls)),
                new LlmChain.Deployment(fallback, failing(fallbackCalls))));

        assertThatThrownBy(() -> chain.answer("Why?", List.of())).isInstanceOf(DependencyUnavailableException.class);
        assertThat(primaryCalls).hasValue(1);
        assertThat(fallbackCalls).hasValue(1);
    }

    @Test
    void shouldNotAskAFallbackAboutAQuestionThePrimaryRejected() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, (question, context) -> {
            primaryCalls.incrementAndGet();
            throw new DependencyRejectedException("HTTP 400: context length exceeded");
        }), new LlmChain.Deployment(fallback, answering("backup-model", fallbackCalls))));

        assertThatThrownBy(() -> chain.answer("Why?", List.of())).isInstanceOf(DependencyRejectedException.class);
        assertThat(fallbackCalls).hasValue(0);
    }

    @Test
    void shouldLetParkedQuestionsReplayWhileAnyDeploymentTakesCalls() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, answering("main", primaryCalls)),
                new LlmChain.Deployment(fallback, answering("backup-model", fallbackCalls))));
        primary.breaker().open();

        assertThat(chain.gate().name()).isEqualTo("llm_service");
        assertThat(chain.gate().allowance()).isEqualTo(BreakerPolicy.Allowance.ALL);
        fallback.breaker().halfOpen();
        assertThat(chain.gate().allowance()).isEqualTo(BreakerPolicy.Allowance.TRIAL);
    }

    @Test
    void shouldSkipADeploymentWhoseContextWindowIsTooSmallForThePrompt() {
        LlmChain chain = new LlmChain(List.of(
                new LlmChain.Deployment(primary, limiter(primary), prompting(500, answering("main", primaryCalls)), 700),
                new LlmChain.Deployment(fallback, limiter(fallback), prompting(500, answering("big", fallbackCalls)),
                        32_000)));

        assertThat(chain.answer("Why?", List.of()).answeredBy().depth()).isEqualTo(1);
        assertThat(primaryCalls).as("500 tokens and 256 for the answer do not fit 700").hasValue(0);
    }

    @Test
    void shouldFailAQuestionWhosePromptFitsNoDeploymentsContextWindow() {
        LlmChain chain = new LlmChain(List.of(
                new LlmChain.Deployment(primary, limiter(primary), prompting(9000, answering("main", primaryCalls)), 8192),
                new LlmChain.Deployment(fallback, limiter(fallback), prompting(9000, answering("b", fallbackCalls)), 4096)));

        assertThatThrownBy(() -> chain.answer("Why?", List.of())).isInstanceOf(DependencyRejectedException.class)
                .hasMessageContaining("about 9000 tokens").hasMessageContaining("the largest is 8192 tokens");
        assertThat(primaryCalls.get() + fallbackCalls.get()).isZero();
    }

    @Test
    void shouldAskTheNextDeploymentWhenOneRejectsThePromptAsTooLong() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, (question, context) -> {
            primaryCalls.incrementAndGet();
            throw new PromptTooLongException("HTTP 400: This model's maximum context length is 8192 tokens");
        }), new LlmChain.Deployment(fallback, answering("big", fallbackCalls))));

        assertThat(chain.answer("Why?", List.of()).answeredBy().depth()).isEqualTo(1);
        assertThat(primary.callsByOutcome()).as("the primary answered, healthy").containsEntry("failure", 0L);
    }

    @Test
    void shouldFailAQuestionEveryDeploymentRejectsAsTooLong() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, (question, context) -> {
            throw new PromptTooLongException("HTTP 400: context length exceeded");
        })));

        assertThatThrownBy(() -> chain.answer("Why?", List.of())).isInstanceOf(DependencyRejectedException.class)
                .hasMessageContaining("context length");
    }

    @Test
    void shouldGiveAPrimaryWithAFallbackBehindItOneAttemptAndTheLastDeploymentItsRetries() {
        BreakerSettings retrying = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
                Duration.ofSeconds(30), 2, Duration.ofMillis(1), Duration.ofMillis(2));
        BreakerPolicy first = new BreakerPolicy(retrying);
        BreakerPolicy last = new BreakerPolicy(retrying.named("llm_service_fallback"));
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(first, failing(primaryCalls)),
                new LlmChain.Deployment(last, failing(fallbackCalls))));

        assertThatThrownBy(() -> chain.answer("Why?", List.of())).isInstanceOf(DependencyUnavailableException.class);
        assertThat(primaryCalls).as("the fallback is its retry").hasValue(1);
        assertThat(fallbackCalls).as("one attempt and two retries").hasValue(3);
    }

    @Test
    void shouldWaitOutAShortCooldownInPlaceAndAskAgainInsteadOfParking() {
        AtomicInteger calls = new AtomicInteger();
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, (question, context) -> {
            if (calls.incrementAndGet() == 1) {
                throw new DependencyCoolingException("HTTP 429", Duration.ofMillis(300));
            }
            return new Answer("Because.", List.of(), new AnsweredBy(AnsweredBy.LLM, "main"));
        })));

        assertThat(chain.answer("Why?", List.of()).answeredBy().depth()).isZero();
        assertThat(calls).hasValue(2);
        assertThat(chain.limiters().get(0).rateLimitedCalls()).as("the limiter learnt of the 429").isEqualTo(1);
    }

    @Test
    void shouldRefuseAsCoolingWhenEveryDeploymentCoolsDownLongerThanAQuestionWaitsInPlace() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, (question, context) -> {
            primaryCalls.incrementAndGet();
            throw new DependencyCoolingException("HTTP 429", Duration.ofSeconds(30));
        })));

        assertThatThrownBy(() -> chain.answer("Why?", List.of()))
                .isInstanceOfSatisfying(BreakerOpenException.class, open -> assertThat(open.cooling()).isTrue());
        assertThat(primaryCalls).hasValue(1);
    }

    @Test
    void shouldBringTheLimitDownWhenACallOutlastsItsTimeout() {
        // Found by a hostile review: a server that queues past the timeout never showed it in any latency window.
        BreakerPolicy slow = new BreakerPolicy(new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
                Duration.ofMillis(50), 0, Duration.ofMillis(1), Duration.ofMillis(2)));
        CallLimiter limiter = limiter(slow);
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(slow, limiter, (question, context) -> {
            new CountDownLatch(1).await(); // until the timeout interrupts it
            throw new AssertionError("not reached");
        })));

        assertThatThrownBy(() -> chain.answer("Why?", List.of())).isInstanceOf(DependencyUnavailableException.class);
        assertThat(limiter.limit()).as("too many at half of the one call in flight: the least").isEqualTo(1);
    }

    @Test
    void shouldCoolTheDeploymentDownWhenAnAnswerSaysItsQuotaIsRunningOut() {
        LlmChain chain = new LlmChain(List.of(new LlmChain.Deployment(primary, (question, context) ->
                new Answer("Because.", List.of(), new AnsweredBy(AnsweredBy.LLM, "main"),
                        Optional.of(Duration.ofSeconds(20))))));

        assertThat(chain.answer("Why?", List.of()).text()).isEqualTo("Because.");
        assertThat(primary.allowance()).as("the next calls wait").isEqualTo(BreakerPolicy.Allowance.NONE);
        assertThat(primary.untilTrial()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(20));
        assertThat(primary.callsByOutcome()).as("no failure").containsEntry("failure", 0L);
    }

    private static CallLimiter limiter(BreakerPolicy breaker) {
        return new CallLimiter(breaker.name(), 64, System::nanoTime);
    }

    /** {@code answerer}, whose prompts take {@code tokens}. */
    private static Answerer prompting(int tokens, Answerer answerer) {
        return new Answerer() {
            @Override
            public Answer answer(String question, List<Passage> context) throws InterruptedException {
                return answerer.answer(question, context);
            }

            @Override
            public int promptTokens(String question, List<Passage> context) {
                return tokens;
            }
        };
    }

    private static Answerer answering(String model, AtomicInteger calls) {
        return (question, context) -> {
            calls.incrementAndGet();
            return new Answer("Because.", List.of(), new AnsweredBy(AnsweredBy.LLM, model));
        };
    }

    private static Answerer failing(AtomicInteger calls) {
        return (question, context) -> {
            calls.incrementAndGet();
            throw new DependencyUnavailableException("cannot reach the LLM: connection refused");
        };
    }
}
