package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;

/**
 * Every caller gets a search thread of its own: the input loop's and the replay loop's handler threads retrieve at
 * once, and a search queued behind another would spend its question's timeout waiting, then cost it the context and
 * count against vector_db, though the index is healthy.
 */
class RetrievalSharedThreadsTest {

    private static final Passage PAGE = new Passage("http://harbour.example/a", "A", "The breakwater is 812 metres long.");

    private final BreakerPolicy breaker = new BreakerPolicy(new BreakerSettings("vector_db", 5, 1,
            Duration.ofSeconds(60), Duration.ofSeconds(20), 0, Duration.ofMillis(500), Duration.ofSeconds(1)));

    @Test
    void shouldSearchForEveryCallerAtOnce() throws Exception {
        int callers = 2;
        CountDownLatch allSearching = new CountDownLatch(callers);
        // Each search ends only once every caller's search has begun: queued behind another, it never would.
        try (Retrieval retrieval = new Retrieval(breaker, question -> {
            allSearching.countDown();
            awaitQuietly(allSearching);
            return List.of(PAGE);
        }, callers)) {
            ExecutorService handlers = Executors.newFixedThreadPool(callers);
            try {
                CompletableFuture<Retrieval.Context> input = CompletableFuture.supplyAsync(
                        () -> retrieval.forQuestion("How long is the breakwater?"), handlers);
                CompletableFuture<Retrieval.Context> replayed = CompletableFuture.supplyAsync(
                        () -> retrieval.forQuestion("How tall is the breakwater?"), handlers);

                assertThat(input.get(60, TimeUnit.SECONDS).missing()).as("input loop's question").isEmpty();
                assertThat(replayed.get(60, TimeUnit.SECONDS).missing()).as("replay loop's question").isEmpty();
            } finally {
                handlers.shutdownNow();
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
