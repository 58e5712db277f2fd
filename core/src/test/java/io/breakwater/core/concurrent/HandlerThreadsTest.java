package io.breakwater.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** Threads for waiting work: made as work comes, never one per task, and never more than asked for. */
class HandlerThreadsTest {

    @Test
    void shouldNotMakeAThreadPerTaskWhenTheTasksComeOneAtATime() throws Exception {
        // Given the pool a loop gets for BW_QA_CONCURRENCY's default, 512
        ThreadPoolExecutor pool = HandlerThreads.pool("test", 512);
        try {
            // When 512 records are handled one after another, never two at once
            for (int i = 0; i < 512; i++) {
                pool.submit(() -> { }).get();
            }

            // Then "made as work comes": one or two threads would do; each idle one lives on for a minute
            assertThat(pool.getPoolSize()).as("threads after 512 tasks one at a time (virtual: %s, JDK %s)",
                    HandlerThreads.virtual(), Runtime.version().feature()).isLessThanOrEqualTo(4);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldRunAtMostItsSizeAtOnceAndQueueTheRestWithoutRejectingAny() throws Exception {
        ThreadPoolExecutor pool = HandlerThreads.pool("test", 3);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        try {
            List<Future<?>> tasks = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                tasks.add(pool.submit(() -> {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    release.await();
                    running.decrementAndGet();
                    return null;
                }));
            }
            await().until(() -> running.get() == 3);
            release.countDown();
            for (Future<?> task : tasks) {
                task.get();
            }

            assertThat(most).hasValue(3);
            assertThat(pool.getPoolSize()).isLessThanOrEqualTo(3);
        } finally {
            pool.shutdownNow();
        }
    }
}
