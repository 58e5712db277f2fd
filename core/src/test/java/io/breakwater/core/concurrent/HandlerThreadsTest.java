package io.breakwater.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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

    @Test
    void shouldQueueATaskSubmittedWhileAnotherSubmitterIsAddingTheLastThread() throws Exception {
        // Found by a hostile review: the queue refused it to make room, the other submitter took the room, and the
        // pool rejected it. The thread factory holds the first thread's making, so the moment is certain.
        CountDownLatch making = new CountDownLatch(1);
        CountDownLatch mayMake = new CountDownLatch(1);
        AtomicInteger made = new AtomicInteger();
        ThreadPoolExecutor pool = HandlerThreads.elastic(1, runnable -> {
            if (made.getAndIncrement() == 0) {
                making.countDown();
                try {
                    mayMake.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Thread thread = new Thread(runnable, "test-" + made.get());
            thread.setDaemon(true);
            return thread;
        });
        CountDownLatch ran = new CountDownLatch(2);
        try {
            new Thread(() -> pool.execute(ran::countDown)).start();
            assertThat(making.await(30, TimeUnit.SECONDS)).isTrue();

            pool.execute(ran::countDown);
            mayMake.countDown();

            assertThat(ran.await(30, TimeUnit.SECONDS)).as("both ran, on the one thread").isTrue();
        } finally {
            mayMake.countDown();
            pool.shutdownNow();
        }
    }
}
