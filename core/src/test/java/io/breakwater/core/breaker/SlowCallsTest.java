package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.ConfigException;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.config.Settings;
import io.breakwater.core.health.BreakerState;

/** A dependency that answers, but too slowly, opens its breaker as one that fails does (Resilience4j's slow calls). */
class SlowCallsTest {

    private static final long MS = 1_000_000L;

    @Test
    void shouldJudgeOnlyAFullWindowAndStartAgainAfterEachVerdict() {
        SlowCallWindow window = new SlowCallWindow(new BreakerSettings.SlowCalls(Duration.ofMillis(100), 50, 4));

        assertThat(window.tooSlowAfter(500 * MS)).as("1 of 1: the window is not full yet").isFalse();
        assertThat(window.tooSlowAfter(500 * MS)).isFalse();
        assertThat(window.tooSlowAfter(10 * MS)).isFalse();
        assertThat(window.tooSlowAfter(10 * MS)).as("2 slow of 4: 50 %").isTrue();
        assertThat(window.tooSlowAfter(500 * MS)).as("a fresh window").isFalse();
        for (int i = 0; i < 20; i++) {
            assertThat(window.tooSlowAfter(10 * MS)).isFalse();
        }
        assertThat(window.tooSlowAfter(100 * MS)).as("exactly the threshold is not slow").isFalse();
    }

    @Test
    void shouldSlideOverTheLastCalls() {
        SlowCallWindow window = new SlowCallWindow(new BreakerSettings.SlowCalls(Duration.ofMillis(100), 100, 3));
        window.tooSlowAfter(10 * MS);
        window.tooSlowAfter(500 * MS);
        assertThat(window.tooSlowAfter(500 * MS)).as("2 of 3").isFalse();
        assertThat(window.tooSlowAfter(500 * MS)).as("the fast one has slid out: 3 of 3").isTrue();
    }

    @Test
    void shouldNeverJudgeWhenOff() {
        SlowCallWindow window = new SlowCallWindow(BreakerSettings.SlowCalls.OFF);
        for (int i = 0; i < 100; i++) {
            assertThat(window.tooSlowAfter(Long.MAX_VALUE)).isFalse();
        }
    }

    @Test
    void shouldOpenTheBreakerWhenTooManyCallsAreSlowThoughNoneFailed() {
        // Every call is slower than a nanosecond: the verdict does not depend on how fast this machine is.
        BreakerPolicy breaker = new BreakerPolicy(withSlowCalls(Duration.ofNanos(1)));
        for (int i = 0; i < 3; i++) {
            breaker.call(() -> "fine");
        }

        assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
        assertThat(breaker.callsByOutcome()).containsEntry("failure", 0L);
    }

    @Test
    void shouldStayClosedWhileCallsAreQuickEnough() {
        BreakerPolicy breaker = new BreakerPolicy(withSlowCalls(Duration.ofHours(1)));
        for (int i = 0; i < 30; i++) {
            breaker.call(() -> "fine");
        }

        assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
    }

    @Test
    void shouldReadTheFiguresFromTheSettingsAndRefuseBadOnes() {
        BreakerSettings read = BreakerSettings.from(Settings.load(Map.of("BW_BREAKER_LLM_SERVICE_SLOW_CALL_SECONDS", "20",
                "BW_BREAKER_LLM_SERVICE_SLOW_CALL_RATE_PERCENT", "80", "BW_BREAKER_LLM_SERVICE_SLOW_CALL_WINDOW", "20")),
                Dependencies.LLM_SERVICE);
        assertThat(read.slowCalls()).isEqualTo(new BreakerSettings.SlowCalls(Duration.ofSeconds(20), 80, 20));
        assertThat(BreakerSettings.from(Settings.load(Map.of()), Dependencies.LLM_SERVICE).slowCalls().enabled())
                .as("off unless a threshold is set").isFalse();
        assertThatThrownBy(() -> BreakerSettings.from(Settings.load(Map.of("BW_BREAKER_LLM_SERVICE_SLOW_CALL_SECONDS", "20",
                "BW_BREAKER_LLM_SERVICE_SLOW_CALL_RATE_PERCENT", "0")), Dependencies.LLM_SERVICE))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BW_BREAKER_LLM_SERVICE_SLOW_CALL_RATE_PERCENT");
    }

    private static BreakerSettings withSlowCalls(Duration threshold) {
        BreakerSettings seed = Dependencies.LLM_SERVICE;
        return new BreakerSettings(seed.name(), seed.failureThreshold(), seed.successThreshold(), seed.openDuration(),
                seed.callTimeout(), seed.maxRetries(), seed.retryDelay(), seed.retryMaxDelay(),
                new BreakerSettings.SlowCalls(threshold, 100, 3));
    }
}
