package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;

/**
 * QaWorker sizes Retrieval's search threads by the worker's concurrency, but WorkerLoops runs two loops (input and
 * replay) with that many handler threads each, so twice as many questions retrieve at once. The extra ones wait in
 * the search queue, and Future.get's timeout (vector_db's call timeout) counts that wait: a search that takes well
 * under the timeout costs its question the context, and counts against vector_db, only because it was queued.
 */
class RetrievalSharedThreadsTest {

    private static final Passage PAGE = new Passage("http://harbour.example/a", "A", "The breakwater is 812 metres long.");

    /** vector_db's figures with a 400 ms timeout. */
    private final BreakerPolicy breaker = new BreakerPolicy(new BreakerSettings("vector_db", 5, 1,
            Duration.ofSeconds(60), Duration.ofMillis(400), 0, Duration.ofMillis(500), Duration.ofSeconds(1)));

    @Test
    void shouldGiveContextToBothLoopsQuestionsWhenEachSearchIsWellUnderTheTimeout() throws Exception {
        int concurrency = 1;
        // Each search takes 250 ms: well under the 400 ms timeout on its own.
        try (Retrieval retrieval = new Retrieval(breaker, question -> {
            sleep(250);
            return List.of(PAGE);
        }, concurrency)) {
            ExecutorService loops = Executors.newFixedThreadPool(2 * concurrency);
            try {
                CyclicBarrier together = new CyclicBarrier(2 * concurrency);
                // One question from the input loop's handler thread, one from the replay loop's.
                CompletableFuture<Retrieval.Context> input = CompletableFuture.supplyAsync(() -> {
                    await(together);
                    return retrieval.forQuestion("How long is the breakwater?");
                }, loops);
                CompletableFuture<Retrieval.Context> replayed = CompletableFuture.supplyAsync(() -> {
                    await(together);
                    return retrieval.forQuestion("How tall is the breakwater?");
                }, loops);

                assertThat(input.get(10, TimeUnit.SECONDS).missing()).as("input loop's question").isEmpty();
                assertThat(replayed.get(10, TimeUnit.SECONDS).missing()).as("replay loop's question").isEmpty();
            } finally {
                loops.shutdownNow();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
