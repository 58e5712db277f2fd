package io.breakwater.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.PriorityQueue;

import org.junit.jupiter.api.Test;

/**
 * A local model server that queues (Ollama with OLLAMA_NUM_PARALLEL=2, say), with the breaker's 30 s call timeout, in
 * simulated time as in AdaptiveLimitSimulationTest. Found by a hostile review: when a timed-out call taught the limit
 * nothing, the latency windows saw only the calls that beat the timeout, the limit grew on them, and in the end every
 * call timed out.
 */
class QueueingTimeoutTest {

    private static final long SERVICE = Duration.ofSeconds(5).toNanos();
    private static final long TIMEOUT = Duration.ofSeconds(30).toNanos();

    @Test
    void shouldKeepAQueueingServersCallsWithinTheCallTimeout() {
        int capacity = 2;
        long[] now = {0};
        CallLimiter limiter = new CallLimiter("llm_service", 512, () -> now[0]);
        PriorityQueue<SimulatedCall> events = new PriorityQueue<>();
        long end = 400 * SERVICE;
        int active = 0;
        long answered = 0;
        long timedOut = 0;
        while (now[0] < end) {
            Optional<CallLimiter.Permit> permit;
            while ((permit = SimulatedCall.take(limiter)).isPresent()) {
                active++;
                long latency = SERVICE * Math.max(capacity, active) / capacity;
                events.add(latency <= TIMEOUT ? new SimulatedCall(now[0] + latency, permit.get(), true)
                        : new SimulatedCall(now[0] + TIMEOUT, permit.get(), false));
            }
            SimulatedCall next = events.poll();
            now[0] = next.at();
            active--; // optimistic: the server drops a call its client gave up on
            boolean measured = now[0] > end / 2; // after warm-up
            if (next.answered()) {
                answered += measured ? 1 : 0;
                next.permit().succeeded();
            } else {
                timedOut += measured ? 1 : 0;
                next.permit().timedOut(); // as LlmChain tells it of a call the breaker's timeout ended
            }
        }

        assertThat((double) timedOut / (answered + timedOut))
                .as("share of calls timing out in the second half (limit now %d)", limiter.limit())
                .isLessThanOrEqualTo(0.1);
    }
}
