package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;

/**
 * The vector_db breaker's call timeout must bound retrieval: a search that hangs costs the question its context
 * within the timeout, never the question (Dependencies.VECTOR_DB: "a question whose retrieval fails is answered
 * without context, not held up").
 */
class RetrievalHangTest {

    /** vector_db's figures with a 300 ms timeout instead of 5 s, so that the test is quick. */
    private final BreakerPolicy breaker = new BreakerPolicy(new BreakerSettings("vector_db", 5, 1,
            Duration.ofSeconds(60), Duration.ofMillis(300), 0, Duration.ofMillis(500), Duration.ofSeconds(1)));

    @Test
    void shouldGoOnWithoutContextWithinTheTimeoutWhenTheSearchHangsIgnoringInterrupts() {
        // A CPU-bound search (Lucene's scoring loop does not look at the interrupt flag) that runs for 5 s.
        Retrieval retrieval = new Retrieval(breaker, question -> {
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            return List.of();
        });

        long start = System.nanoTime();
        Retrieval.Context context = retrieval.forQuestion("How long is the breakwater?");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(context.missing()).as("retrieval timed out").isPresent();
        assertThat(took).as("held up by the search, not by the 300 ms timeout").isLessThan(Duration.ofSeconds(2));
    }
}
