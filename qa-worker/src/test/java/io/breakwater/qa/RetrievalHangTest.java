package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;

/**
 * The vector_db breaker's call timeout bounds retrieval: a search that hangs, deaf to interrupts as Lucene's scoring
 * loop is, costs the question its context after the timeout, never the question, and never the worker's thread.
 */
class RetrievalHangTest {

    /** vector_db's figures with a 300 ms timeout instead of 5 s, so that the test is quick. */
    private final BreakerPolicy breaker = new BreakerPolicy(new BreakerSettings("vector_db", 5, 1,
            Duration.ofSeconds(60), Duration.ofMillis(300), 0, Duration.ofMillis(500), Duration.ofSeconds(1)));

    @Test
    void shouldGoOnWithoutContextWhenTheSearchHangsIgnoringInterrupts() {
        CountDownLatch released = new CountDownLatch(1);
        try (Retrieval retrieval = new Retrieval(breaker, question -> {
            awaitUninterruptibly(released);
            return List.of();
        }, 2)) {
            // Released only after retrieval has answered: held up by the search, it would never answer.
            Retrieval.Context context = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> retrieval.forQuestion("How long is the breakwater?"));

            assertThat(context.passages()).isEmpty();
            assertThat(context.missing()).hasValueSatisfying(why -> assertThat(why).contains("vector_db failed"));
            assertThat(Thread.currentThread().isInterrupted()).as("the caller's thread is left as it was").isFalse();
        } finally {
            released.countDown();
        }
    }

    @Test
    void shouldGoOnWithoutContextWhenEverySearchThreadIsHeldByAHungSearch() {
        CountDownLatch released = new CountDownLatch(1);
        try (Retrieval retrieval = new Retrieval(breaker, question -> {
            awaitUninterruptibly(released);
            return List.of();
        }, 1)) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                for (int i = 0; i < 4; i++) {
                    assertThat(retrieval.forQuestion("Hung " + i + "?").missing()).isPresent();
                }
            });
        } finally {
            released.countDown();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // Deaf to interrupts, as a CPU-bound search is.
            }
        }
    }
}
