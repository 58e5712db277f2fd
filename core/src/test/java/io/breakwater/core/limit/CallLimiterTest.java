package io.breakwater.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class CallLimiterTest {

    private final long[] now = {0};

    @Test
    void shouldRefuseAPermitPastTheLimitOnceTheWaitIsOver() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 2, () -> now[0]);

        assertThat(limiter.acquire(Duration.ZERO)).isPresent();
        assertThat(limiter.acquire(Duration.ZERO)).isPresent();
        assertThat(limiter.acquire(Duration.ofMillis(1))).isEmpty();
        assertThat(limiter.inFlight()).isEqualTo(2);
    }

    @Test
    void shouldHandAFreedPermitToAWaitingCaller() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 1, () -> now[0]);
        CallLimiter.Permit first = limiter.acquire(Duration.ZERO).orElseThrow();
        CompletableFuture<Optional<CallLimiter.Permit>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return limiter.acquire(Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });

        first.ignored();

        assertThat(waiting.get(30, TimeUnit.SECONDS)).isPresent();
        assertThat(limiter.inFlight()).isEqualTo(1);
    }

    @Test
    void shouldHandFreedPermitsInArrivalOrderNotToWhoeverComesNext() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 1, () -> now[0]);
        CallLimiter.Permit first = limiter.acquire(Duration.ZERO).orElseThrow();
        List<String> served = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        Thread early = waitFor(limiter, "early", served, release);
        await().until(() -> early.getState() == Thread.State.TIMED_WAITING);
        Thread late = waitFor(limiter, "late", served, release);
        await().until(() -> late.getState() == Thread.State.TIMED_WAITING);

        first.ignored();
        Optional<CallLimiter.Permit> barging = limiter.acquire(Duration.ZERO);
        await().until(() -> served.size() == 1);
        release.countDown();
        early.join(30_000);
        late.join(30_000);

        assertThat(barging).as("a caller that just came does not take the permit of one that waits").isEmpty();
        assertThat(served).containsExactly("early", "late");
        assertThat(limiter.inFlight()).isZero();
    }

    @Test
    void shouldGiveUpAWaitThatIsInterruptedWithoutLosingAPermit() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 1, () -> now[0]);
        CallLimiter.Permit first = limiter.acquire(Duration.ZERO).orElseThrow();
        CompletableFuture<Throwable> interrupted = new CompletableFuture<>();
        Thread waiting = new Thread(() -> {
            try {
                limiter.acquire(Duration.ofMinutes(1));
                interrupted.complete(null);
            } catch (InterruptedException e) {
                interrupted.complete(e);
            }
        });
        waiting.start();
        await().until(() -> waiting.getState() == Thread.State.TIMED_WAITING);

        waiting.interrupt();
        assertThat(interrupted.get(30, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        first.ignored();

        assertThat(limiter.inFlight()).as("the permit freed went to no one who gave up").isZero();
        assertThat(limiter.acquire(Duration.ZERO)).isPresent();
    }

    @Test
    void shouldNeverHaveMoreCallsInFlightThanItsLimitUnderManyCallers() throws Exception {
        CallLimiter limiter = new CallLimiter("llm_service", 8, () -> now[0]);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger made = new AtomicInteger();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 64; t++) {
            Thread caller = new Thread(() -> {
                for (int call = 0; call < 200; call++) {
                    try {
                        CallLimiter.Permit permit = limiter.acquire(Duration.ofMinutes(1)).orElseThrow();
                        most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                        Thread.onSpinWait();
                        inFlight.decrementAndGet();
                        made.incrementAndGet();
                        permit.ignored();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            callers.add(caller);
            caller.start();
        }
        for (Thread caller : callers) {
            caller.join(60_000);
        }

        assertThat(made.get()).isEqualTo(64 * 200);
        assertThat(most.get()).isLessThanOrEqualTo(8);
        assertThat(limiter.inFlight()).isZero();
    }

    private static Thread waitFor(CallLimiter limiter, String who, List<String> served, CountDownLatch release) {
        Thread thread = new Thread(() -> {
            try {
                CallLimiter.Permit permit = limiter.acquire(Duration.ofMinutes(1)).orElseThrow();
                served.add(who);
                release.await();
                permit.ignored();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        thread.start();
        return thread;
    }
}
