package io.breakwater.ingest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import io.breakwater.core.concurrent.DaemonThreads;

/**
 * The API's calls to MongoDB, off Jetty's threads: a fixed pool with a bounded queue, and a deadline on each call.
 * A call that finds the queue full, or that MongoDB does not answer within the deadline, fails at once with a 503
 * and {@code Retry-After}: a stalled MongoDB holds at most the pool's threads, never Jetty's, so {@code /health/live}
 * keeps answering. A queued call whose caller already gave up is skipped. Thread-safe.
 */
final class StoreCalls implements AutoCloseable {

    static final int DEFAULT_THREADS = 4;
    static final int DEFAULT_QUEUE = 1_000;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);

    private final ThreadPoolExecutor pool;
    private final Duration timeout;

    StoreCalls(int threads, int queue, Duration timeout) {
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue),
                DaemonThreads.named("bw-ingest-store"), new ThreadPoolExecutor.AbortPolicy());
        this.timeout = timeout;
    }

    /**
     * Runs {@code work} on the pool.
     *
     * @return completes with its result, or exceptionally with an {@link ApiException} 503 if the pool is full or
     *     the deadline passed; any other failure of {@code work} as it is
     */
    <T> CompletableFuture<T> call(Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                if (result.isDone()) {
                    return; // timed out while queued: nobody waits for it any more
                }
                try {
                    result.complete(work.get());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(busy("the API has " + pool.getQueue().size()
                    + " store calls waiting already"));
        }
        return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionally(error -> {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof TimeoutException) {
                throw busy("MongoDB did not answer within " + timeout.toMillis() + " ms");
            }
            if (cause instanceof com.mongodb.MongoException mongo) {
                throw busy("MongoDB: " + mongo.getClass().getSimpleName());
            }
            throw error instanceof CompletionException completion ? completion : new CompletionException(cause);
        });
    }

    /** Runs {@code work} on the pool with no deadline (for writes whose caller already has its answer). */
    Executor executor() {
        return command -> {
            try {
                pool.execute(command);
            } catch (RejectedExecutionException e) {
                throw busy("the API has " + pool.getQueue().size() + " store calls waiting already");
            }
        };
    }

    static ApiException busy(String why) {
        return new ApiException(503, "The question store is busy or not answering (" + why + "). Please retry in a"
                + " few seconds.", Map.of("Retry-After", "2"));
    }

    @Override
    public void close() {
        pool.shutdown();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
