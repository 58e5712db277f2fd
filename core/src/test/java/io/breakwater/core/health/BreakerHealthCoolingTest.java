package io.breakwater.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.breakwater.core.event.EventJson;

/** A breaker open because the dependency asked callers to wait says so on breaker.health, and so on /health. */
class BreakerHealthCoolingTest {

    private static final Instant UNTIL = Instant.parse("2026-12-03T10:00:02Z");

    @Test
    void shouldShowABreakerOpenOnlyForARateLimitAsCoolingUntilItsLatestDeadline() {
        BreakerHealth health = health("""
                "qa-1": {"state": "open", "cause": "cooling", "open_until": "2026-12-03T10:00:01Z"},
                "qa-2": {"state": "open", "cause": "cooling", "open_until": "2026-12-03T10:00:02Z"}""",
                "\"qa-1\", \"qa-2\"");

        assertThat(health.isCooling()).isTrue();
        assertThat(health.coolingInstances()).containsExactly("qa-1", "qa-2");
        assertThat(health.coolingUntil()).isEqualTo(UNTIL);
        String json = new String(EventJson.encode(health), StandardCharsets.UTF_8);
        assertThat(json).contains("\"cooling_instances\":[\"qa-1\",\"qa-2\"]", "\"cooling_until\":\"" + UNTIL + "\"",
                "\"cooling\":true");
        assertThat(EventJson.decode(json.getBytes(StandardCharsets.UTF_8), BreakerHealth.class)).isEqualTo(health);
    }

    @Test
    void shouldNotCallABreakerCoolingWhileAnInstanceFoundTheDependencyFailing() {
        BreakerHealth health = health("""
                "qa-1": {"state": "open", "cause": "cooling", "open_until": "2026-12-03T10:00:01Z"},
                "qa-2": {"state": "open", "cause": "failures", "open_until": "2026-12-03T10:01:00Z"}""",
                "\"qa-1\", \"qa-2\"");

        assertThat(health.isCooling()).isFalse();
        assertThat(health.coolingInstances()).containsExactly("qa-1");
    }

    private static BreakerHealth health(String byInstance, String open) {
        return EventJson.decode(("{\"breaker\": \"llm_service\", \"state\": \"open\", \"is_open\": true,"
                + " \"open_instances\": [" + open + "], \"instances\": [" + open + "], \"by_instance\": {" + byInstance
                + "}}").getBytes(StandardCharsets.UTF_8), BreakerHealth.class);
    }
}
