package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerHealth;

/**
 * Review (issue 14): breaker.health keeps a named breaker's record for good once no instance reports it (the
 * breaker-state app drops only crawler:* family members, HealthFolder#dropSilentInstances), and a fold with no
 * instances reads CLOSED (BreakerFold#health: worst of no reports = CLOSED). So a fallback deployment that was
 * configured once and then removed (BW_LLM_FALLBACK_URL unset, or QA workers rolled back) stays "closed" on
 * breaker.health forever, and the API never again counts the LLM as unavailable, however open llm_service is.
 */
class LlmOpenStaleFallbackTest {

    @Test
    void shouldNotLetAFallbackNoInstanceReportsKeepTheLlmCountedAvailable() {
        BreakerHealth primaryOpen = health("llm_service", "open", List.of("qa-1", "qa-2"));
        // What the breaker-state app writes for llm_service_fallback once every instance that ran it went silent.
        BreakerHealth abandonedFallback = health("llm_service_fallback", "closed", List.of());

        assertThat(IngestApi.llmOpen(List.of(primaryOpen, abandonedFallback)))
                .as("no instance runs llm_service_fallback any more: it cannot answer anything")
                .isTrue();
    }

    private static BreakerHealth health(String name, String state, List<String> instances) {
        String list = instances.stream().map(i -> "\"" + i + "\"").reduce((a, b) -> a + "," + b).orElse("");
        return EventJson.decode(("{\"breaker\":\"" + name + "\",\"state\":\"" + state + "\",\"is_closed\":"
                + state.equals("closed") + ",\"is_open\":" + state.equals("open") + ",\"instances\":[" + list + "]"
                + (state.equals("open") ? ",\"open_instances\":[" + list + "]" : "") + "}")
                .getBytes(StandardCharsets.UTF_8), BreakerHealth.class);
    }
}
