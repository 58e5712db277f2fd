package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerState;

/** Review of issue 14's cooldowns: a 429 is "not a failure, and not a success either". */
class CoolingZeroWaitTest {

    private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");

    private final ManualClock clock = new ManualClock(NOW);
    private final List<BreakerEvent> events = new CopyOnWriteArrayList<>();

    private BreakerPolicy policy(int failures, Duration open) {
        BreakerPolicy policy = new BreakerPolicy(new BreakerSettings("llm_service", failures, 1, open,
                Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(2)),
                new BreakerPolicy.Identity("qa-1", NOW), false, Duration.ofSeconds(60), clock);
        policy.onEvent(events::add);
        return policy;
    }

    @Test
    void shouldCoolDownForAMomentAtLeastWhenA429AsksForNoWait() {
        BreakerPolicy policy = policy(5, Duration.ofSeconds(60));
        // Retry-After: 0, a negative one, or an HTTP date a skewed clock puts in the past: OpenAiAnswerer passes zero.
        catchAny(() -> policy.call(slowDown(Duration.ZERO)));

        // Otherwise nothing paces the fleet: the question is refused (not counted), parked with not-before "now",
        // replayed at once, rate-limited again, forever, at full speed.
        assertThat(policy.untilTrial()).as("a 429 paces: some cooldown, however short").isPositive();
    }

    private static Object failing() {
        throw new DependencyUnavailableException("HTTP 500");
    }

    private static dev.failsafe.function.CheckedSupplier<Object> slowDown(Duration coolFor) {
        return () -> {
            throw new DependencyCoolingException("HTTP 429: rate limit reached", coolFor);
        };
    }

    private static void catchAny(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            // expected
        }
    }
}
