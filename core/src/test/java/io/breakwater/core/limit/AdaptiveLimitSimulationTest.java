package io.breakwater.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.PriorityQueue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The limiter against simulated LLM servers, in simulated time (no clock, no threads: the same figures on any
 * machine). Callers always have more questions than the server can take, as a backlog does.
 */
class AdaptiveLimitSimulationTest {

    private static final long LATENCY = Duration.ofMillis(250).toNanos();
    private static final long REFUSAL = Duration.ofMillis(2).toNanos();
    /** How long a 429 keeps the deployment cooling: the server's Retry-After, the breaker's shortest cooldown. */
    private static final long COOLDOWN = Duration.ofMillis(250).toNanos();

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {16, 256})
    void shouldUseAtLeastNinetyPercentOfAServerThatRefusesBeyondItsCapacityWithFewRefusals(int capacity) {
        Result result = simulate(capacity, 512, 400, false);

        assertThat(result.goodput()).as("answers ÷ capacity").isGreaterThanOrEqualTo(0.9);
        assertThat(result.refusedShare()).as("share of calls refused").isLessThanOrEqualTo(0.05);
        assertThat(result.finalLimit()).isBetween((int) (capacity * 0.85), capacity + 2);
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {16, 256})
    void shouldNeverExceedItsCeiling(int capacity) {
        Result result = simulate(capacity, 10, 100, false);

        assertThat(result.maxInFlight()).isEqualTo(10);
        assertThat(result.refused()).isZero();
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {16, 64})
    void shouldKeepAServerThatQueuesWithinAFewTimesItsCapacityInsteadOfGrowingToTheCeiling(int capacity) {
        // A server that queues answers as fast with 5 × its capacity in flight as with 1 ×, each call 5 × slower:
        // the latency tolerance (3 ×, its baseline drifting up slowly) is what keeps the limit down.
        Result result = simulate(capacity, 4096, 400, true);

        assertThat(result.goodput()).as("answers ÷ capacity").isGreaterThanOrEqualTo(0.8);
        assertThat(result.finalLimit()).as("limit").isLessThanOrEqualTo(capacity * 5);
    }

    /**
     * @param queues true: the server takes every call and shares itself between them (each takes longer the more
     *     there are); false: it refuses calls beyond its capacity with a 429, at once
     */
    private static Result simulate(int capacity, int ceiling, int rounds, boolean queues) {
        long[] now = {0};
        CallLimiter limiter = new CallLimiter("llm_service", ceiling, () -> now[0]);
        PriorityQueue<SimulatedCall> events = new PriorityQueue<>();
        long end = rounds * LATENCY;
        int active = 0;
        long answered = 0;
        long refused = 0;
        int maxInFlight = 0;
        long coolingUntil = 0;
        while (now[0] < end) {
            // Callers take every permit there is, unless the deployment is cooling down.
            if (now[0] >= coolingUntil) {
                Optional<CallLimiter.Permit> permit;
                while ((permit = SimulatedCall.take(limiter)).isPresent()) {
                    maxInFlight = Math.max(maxInFlight, limiter.inFlight());
                    if (queues) {
                        active++;
                        events.add(new SimulatedCall(now[0] + LATENCY * Math.max(capacity, active) / capacity, permit.get(),
                                true));
                    } else if (active < capacity) {
                        active++;
                        events.add(new SimulatedCall(now[0] + LATENCY, permit.get(), true));
                    } else {
                        events.add(new SimulatedCall(now[0] + REFUSAL, permit.get(), false));
                    }
                }
            }
            SimulatedCall next = events.poll();
            long wake = next == null ? coolingUntil : next.at();
            if (next != null && now[0] < coolingUntil && coolingUntil < next.at()) {
                events.add(next);
                now[0] = coolingUntil;
                continue;
            }
            now[0] = Math.max(now[0], wake);
            if (next == null) {
                continue;
            }
            if (next.answered()) {
                active--;
                answered++;
                next.permit().succeeded();
            } else {
                refused++;
                next.permit().rateLimited();
                coolingUntil = Math.max(coolingUntil, now[0] + COOLDOWN);
            }
        }
        double capacityAnswers = (double) capacity * end / LATENCY;
        return new Result(answered / capacityAnswers, refused, (double) refused / (answered + refused),
                limiter.limit(), maxInFlight);
    }

    private record Result(double goodput, long refused, double refusedShare, int finalLimit, int maxInFlight) {
    }
}
