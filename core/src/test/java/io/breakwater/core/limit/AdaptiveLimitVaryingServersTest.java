package io.breakwater.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.LongUnaryOperator;

import org.junit.jupiter.api.Test;

/**
 * The limiter against a server that takes every call at once and never queues (its latency does not depend on the
 * calls in flight), in simulated time: nothing says "too many", so the limit reaches the ceiling, whatever the
 * answers' lengths, and finds the capacity again after a lone 429. Found by a hostile review: varying latencies drove
 * the limit to 1, and a 429 with one call in flight kept it low for hundreds of round trips.
 */
class AdaptiveLimitVaryingServersTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    @Test
    void shouldNotCollapseTheLimitForAServerThatNeverQueuesWhoseAnswersVaryInLength() {
        // Latency log-normal, median 1 s, sigma 1 (answers of 10 to 1000 tokens), the same whatever is in flight.
        Random random = new Random(42);
        Run run = simulate(call -> (long) (SECOND * Math.exp(random.nextGaussian())), Duration.ofSeconds(120));

        assertThat(run.lowestLimitAfterWarmUp()).as("lowest limit after the first 20 s").isGreaterThan(32);
        assertThat(run.finalLimit()).as("limit after 120 s").isGreaterThanOrEqualTo(256);
    }

    @Test
    void shouldNotCollapseTheLimitWhenAnswersBecomeLongerOnAServerThatNeverQueues() {
        // 300 short answers (100 ms), then every answer takes 1 s, whatever is in flight.
        Run run = simulate(call -> call < 300 ? SECOND / 10 : SECOND, Duration.ofSeconds(120));

        assertThat(run.finalLimit()).as("limit 120 s in, with a server that takes all 512 at once")
                .isGreaterThanOrEqualTo(256);
    }

    @Test
    void shouldFindAServersCapacityAgainAfterALone429WithOneCallInFlight() {
        // Given a quiet deployment whose only call in flight is refused once (a quota's 429, a proxy's hiccup)
        long[] now = {0};
        CallLimiter limiter = new CallLimiter("llm_service", 512, () -> now[0]);
        SimulatedCall.take(limiter).orElseThrow().rateLimited();
        now[0] += Duration.ofMillis(250).toNanos(); // its cooldown

        // When a backlog comes, against a server that takes 256 calls at once, each answered in 250 ms
        long latency = Duration.ofMillis(250).toNanos();
        PriorityQueue<Call> calls = new PriorityQueue<>();
        long answered = 0;
        long end = now[0] + 400 * latency;
        while (now[0] < end) {
            Optional<CallLimiter.Permit> permit;
            while ((permit = SimulatedCall.take(limiter)).isPresent()) {
                calls.add(new Call(now[0] + latency, permit.get()));
            }
            Call next = calls.poll();
            now[0] = next.at();
            next.permit().succeeded();
            answered++;
        }

        // Then, as from a cold start (AdaptiveLimitSimulationTest: 90 % of the capacity), the capacity is found again
        assertThat(answered / (256.0 * 400)).as("answers ÷ capacity over 400 round trips (limit now %s)",
                limiter.limit()).isGreaterThanOrEqualTo(0.9);
    }

    private record Call(long at, CallLimiter.Permit permit) implements Comparable<Call> {
        @Override
        public int compareTo(Call other) {
            return Long.compare(at, other.at);
        }
    }

    private record Run(int lowestLimitAfterWarmUp, int finalLimit, long answered) {
    }

    /** Callers always have a backlog: every permit there is, is taken. */
    private static Run simulate(LongUnaryOperator latencyOfCall, Duration length) {
        long[] now = {0};
        CallLimiter limiter = new CallLimiter("llm_service", 512, () -> now[0]);
        PriorityQueue<Call> calls = new PriorityQueue<>();
        long made = 0;
        long answered = 0;
        int lowest = Integer.MAX_VALUE;
        while (now[0] < length.toNanos()) {
            Optional<CallLimiter.Permit> permit;
            while ((permit = SimulatedCall.take(limiter)).isPresent()) {
                calls.add(new Call(now[0] + latencyOfCall.applyAsLong(made++), permit.get()));
            }
            Call next = calls.poll();
            now[0] = next.at();
            next.permit().succeeded();
            answered++;
            if (now[0] > 20 * SECOND) {
                lowest = Math.min(lowest, limiter.limit());
            }
        }
        return new Run(lowest, limiter.limit(), answered);
    }
}
