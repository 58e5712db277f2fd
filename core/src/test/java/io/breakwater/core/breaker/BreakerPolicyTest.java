package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.BreakerSettings;

class BreakerPolicyTest {

    private final AtomicInteger calls = new AtomicInteger();

    /** Short figures so the specification runs in milliseconds; the semantics are the production ones. */
    private static BreakerSettings settings(int failures, int retries, Duration open, Duration timeout) {
        return new BreakerSettings("llm_service", failures, 1, open, timeout, retries, Duration.ofMillis(1),
                Duration.ofMillis(2));
    }

    @Test
    void shouldOpenAfterTheConfiguredFailuresAndThenRefuseWithoutCalling() {
        BreakerPolicy policy = new BreakerPolicy(settings(5, 0, Duration.ofMinutes(1), Duration.ofSeconds(5)));

        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> policy.call(this::failing)).isInstanceOf(DependencyUnavailableException.class);
        }

        assertThat(policy.breaker().isOpen()).isTrue();
        assertThatThrownBy(() -> policy.call(this::failing))
                .isInstanceOf(BreakerOpenException.class)
                .hasMessageContaining("breaker llm_service is open");
        assertThat(calls).hasValue(5);
    }

    @Test
    void shouldCountEveryRetriedAttemptAgainstTheBreaker() {
        BreakerPolicy policy = new BreakerPolicy(settings(5, 2, Duration.ofMinutes(1), Duration.ofSeconds(5)));

        assertThatThrownBy(() -> policy.call(this::failing)).isInstanceOf(DependencyUnavailableException.class);
        assertThat(calls).hasValue(3);
        assertThatThrownBy(() -> policy.call(this::failing)).isInstanceOf(BreakerOpenException.class);

        // The second call's retries stop the moment the fifth failure opens the breaker.
        assertThat(calls).hasValue(5);
        assertThat(policy.breaker().isOpen()).isTrue();
    }

    @Test
    void shouldRetryATransientFailureAndReturnTheAnswer() {
        BreakerPolicy policy = new BreakerPolicy(settings(5, 2, Duration.ofMinutes(1), Duration.ofSeconds(5)));

        String answer = policy.call(() -> calls.incrementAndGet() < 3 ? failing() : "42");

        assertThat(answer).isEqualTo("42");
        assertThat(calls).hasValue(3);
        assertThat(policy.breaker().isClosed()).isTrue();
    }

    @Test
    void shouldCountATimeoutAsAFailure() {
        BreakerPolicy policy = new BreakerPolicy(settings(2, 0, Duration.ofMinutes(1), Duration.ofMillis(50)));
        CountDownLatch never = new CountDownLatch(1);

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> policy.call(() -> {
                calls.incrementAndGet();
                never.await();
                return "too late";
            })).isInstanceOf(DependencyUnavailableException.class).hasMessageContaining("did not answer within 50 ms");
        }

        assertThat(policy.breaker().isOpen()).isTrue();
    }

    @Test
    void shouldReportCallsBySuccessFailureTimeoutAndRejectionAndTellItsObserverEachAttempt() {
        BreakerPolicy policy = new BreakerPolicy(settings(3, 0, Duration.ofMinutes(1), Duration.ofMillis(50)));
        java.util.List<String> observed = new java.util.concurrent.CopyOnWriteArrayList<>();
        policy.onCall((outcome, nanos) -> observed.add(outcome));
        CountDownLatch never = new CountDownLatch(1);

        policy.call(() -> "fine");
        assertThatThrownBy(() -> policy.call(this::failing)).isInstanceOf(DependencyUnavailableException.class);
        assertThatThrownBy(() -> policy.call(() -> {
            never.await();
            return "too late";
        })).isInstanceOf(DependencyUnavailableException.class);
        assertThatThrownBy(() -> policy.call(this::failing)).isInstanceOf(DependencyUnavailableException.class);
        assertThatThrownBy(() -> policy.call(this::failing)).isInstanceOf(BreakerOpenException.class);

        assertThat(policy.callsByOutcome()).containsExactlyInAnyOrderEntriesOf(
                java.util.Map.of("success", 1L, "failure", 2L, "timeout", 1L, "rejected", 1L));
        assertThat(observed).containsExactly("success", "failure", "timeout", "failure");
    }

    @Test
    void shouldNeitherRetryNorCountARejectedRequest() {
        BreakerPolicy policy = new BreakerPolicy(settings(1, 2, Duration.ofMinutes(1), Duration.ofSeconds(5)));

        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> policy.call(() -> {
                calls.incrementAndGet();
                throw new DependencyRejectedException("HTTP 400: bad request");
            })).isInstanceOf(DependencyRejectedException.class);
        }

        assertThat(calls).hasValue(3);
        assertThat(policy.breaker().isClosed()).isTrue();
    }

    @Test
    void shouldLetATrialCallThroughAfterTheOpenDelayAndCloseOnSuccess() {
        // Failsafe's open delay runs on its own clock, which no test can move: a short one, and a wait on the trial.
        BreakerPolicy policy = new BreakerPolicy(settings(1, 0, Duration.ofMillis(10), Duration.ofSeconds(5)));
        assertThatThrownBy(() -> policy.call(this::failing)).isInstanceOf(DependencyUnavailableException.class);
        assertThat(policy.breaker().isOpen()).isTrue();

        // Refused until the delay is up; then the trial call goes through.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .ignoreException(BreakerOpenException.class)
                .untilAsserted(() -> assertThat(policy.call(() -> "recovered")).isEqualTo("recovered"));

        assertThat(policy.breaker().isClosed()).isTrue();
    }

    @Test
    void shouldNotRetryWhenTheDependencyAsksForALongerWaitThanTheLongestBackoff() {
        BreakerPolicy policy = new BreakerPolicy(settings(5, 2, Duration.ofMinutes(1), Duration.ofSeconds(5)));

        assertThatThrownBy(() -> policy.call(() -> {
            calls.incrementAndGet();
            throw new DependencyUnavailableException("HTTP 429", Duration.ofSeconds(30), null);
        })).isInstanceOfSatisfying(DependencyUnavailableException.class, e ->
                assertThat(e.retryAfter()).contains(Duration.ofSeconds(30)));

        assertThat(calls).hasValue(1);
    }

    @Test
    void shouldNotCountAnAttemptAbandonedByAnInterruptAgainstTheDependency() throws Exception {
        // A rebalance or a shutdown interrupts work in flight: that says nothing about the dependency.
        BreakerPolicy policy = new BreakerPolicy(settings(2, 2, Duration.ofMinutes(1), Duration.ofSeconds(5)));
        for (int i = 0; i < 3; i++) {
            CountDownLatch started = new CountDownLatch(1);
            Thread caller = new Thread(() -> {
                try {
                    policy.call(() -> {
                        calls.incrementAndGet();
                        started.countDown();
                        new CountDownLatch(1).await();
                        return "never";
                    });
                } catch (RuntimeException expected) {
                    // abandoned
                }
            });
            caller.start();
            started.await();
            caller.interrupt();
            caller.join(5_000);
        }

        assertThat(calls).as("not retried either").hasValue(3);
        assertThat(policy.breaker().isClosed()).isTrue();
        assertThat(policy.snapshot().failedCalls()).isZero();
        assertThat(policy.snapshot().failureCount()).isZero();
    }

    private String failing() {
        calls.incrementAndGet();
        throw new DependencyUnavailableException("HTTP 503");
    }
}
