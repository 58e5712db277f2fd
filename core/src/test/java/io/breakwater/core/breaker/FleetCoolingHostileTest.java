package io.breakwater.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerState;

/**
 * A fleet-wide cooldown read off breaker.health, which anyone who can write to that topic writes, is held to the
 * breaker's open time, as our own 429s are. Found by a hostile review: it was taken as is, and a deadline at the end of
 * time overflowed the refusal's message.
 */
class FleetCoolingHostileTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final BreakerSettings SETTINGS = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
            Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(2));

    private final ManualClock clock = new ManualClock(NOW);
    private final BreakerPolicy policy = new BreakerPolicy(SETTINGS,
            new BreakerPolicy.Identity("worker-1", NOW.minusSeconds(600)), true, Duration.ofSeconds(60), clock);

    @Test
    void shouldRefuseWithAReadableMessageWhenAnotherInstanceReportsCoolingUntilTheEndOfTime() {
        // open_until as far as JSON and Instant go: parsed fine by the health reader
        BreakerHealth health = EventJson.decode(("{\"breaker\":\"llm_service\",\"state\":\"open\",\"is_open\":true,"
                + "\"open_instances\":[\"mallory\"],\"instances\":[\"mallory\",\"worker-1\"],\"by_instance\":{\"mallory\":"
                + "{\"state\":\"open\",\"cause\":\"cooling\",\"open_until\":\"+1000000000-12-31T23:59:59Z\","
                + "\"started_at\":\"2026-03-01T11:00:00Z\",\"reported_at\":\"2026-03-01T12:00:00Z\"}},"
                + "\"updated_at\":\"2026-03-01T12:00:00Z\"}").getBytes(StandardCharsets.UTF_8), BreakerHealth.class);
        policy.onClusterHealth(health);

        BreakerOpenException refused = null;
        try {
            policy.call(() -> "answer");
        } catch (BreakerOpenException e) {
            refused = e;
        }
        assertThat(refused != null).as("refused while the fleet cools").isTrue();
        BreakerOpenException refusal = refused;

        // QuestionHandler parks with Parking.decide, which reads getMessage(): a throw there dead-letters the question
        assertThatCode(refusal::getMessage).as("the refusal's message").doesNotThrowAnyException();
    }

    @Test
    void shouldNotCoolLongerThanTheOpenTimeOnAnotherInstancesWord() {
        policy.onClusterHealth(health(Map.of("worker-2", new BreakerHealth.InstanceView(BreakerState.OPEN,
                BreakerCause.COOLING, 0, 10, NOW, NOW.plus(Duration.ofDays(365 * 100)), NOW.minusSeconds(300), NOW))));

        // A 429 of ours asking for a century cools for the open time (60 s) at most; so should one reported by another
        assertThat(policy.untilTrial()).as("cooling on another instance's word")
                .isLessThanOrEqualTo(SETTINGS.openDuration());
    }

    private BreakerHealth health(Map<String, BreakerHealth.InstanceView> instances) {
        return new BreakerHealth(1, "llm_service", BreakerState.OPEN, false, true, null, null, null, 0, 5, 0, 0, 0, 0,
                null, null, null, null, null, null, null, null, null, instances, clock.instant());
    }
}
