package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerHealth;

/** /health's breakers part stays the seed's shape, and its size does not grow with the hosts crawled. */
class HealthRoutesTest {

    @Test
    @SuppressWarnings("unchecked")
    void shouldSummariseThreeHundredHostBreakersAndKeepTheNamedOnesInTheSeedsShape() {
        Map<String, BreakerHealth> breakers = new TreeMap<>();
        breakers.put("llm_service", health("llm_service", "closed"));
        breakers.put("mongodb", health("mongodb", "open"));
        for (int i = 0; i < 300; i++) {
            String name = "crawler:h" + i + ".invalid";
            breakers.put(name, health(name, i % 100 == 0 ? "open" : "closed"));
        }

        Map<String, Object> summary = HealthRoutes.circuitBreakers(breakers, false, 1);

        Map<String, Object> details = (Map<String, Object>) summary.get("details");
        assertThat(details.keySet().stream().filter(name -> name.startsWith("crawler:"))).hasSizeLessThanOrEqualTo(10);
        assertThat(details).containsKeys("llm_service", "mongodb");
        assertThat((Map<String, Object>) details.get("mongodb")).containsKeys("state", "failure_count", "opened_at",
                "is_closed", "is_open").containsEntry("state", "open");
        assertThat(summary).containsEntry("all_closed", false);
        assertThat((List<String>) summary.get("open_breakers")).containsExactlyInAnyOrder("mongodb",
                "crawler:h0.invalid", "crawler:h100.invalid", "crawler:h200.invalid");
        Map<String, Object> crawler = (Map<String, Object>) ((Map<String, Object>) summary.get("families")).get("crawler");
        assertThat(crawler).containsEntry("total", 300).containsEntry("open", 3L).containsEntry("closed", 297L)
                .containsEntry("half_open", 0L);
        assertThat(EventJson.mapper().valueToTree(summary).toString().getBytes(StandardCharsets.UTF_8).length)
                .as("bytes, whatever the hosts").isLessThan(20_000);
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldListEveryBreakerAPageAtATimeOnDemand() {
        Map<String, BreakerHealth> breakers = new TreeMap<>();
        for (int i = 0; i < 700; i++) {
            String name = String.format("crawler:h%03d.invalid", i);
            breakers.put(name, health(name, "closed"));
        }

        Map<String, Object> first = HealthRoutes.circuitBreakers(breakers, true, 1);
        Map<String, Object> second = HealthRoutes.circuitBreakers(breakers, true, 2);

        assertThat((Map<String, Object>) first.get("details")).hasSize(HealthRoutes.PAGE_SIZE)
                .containsKey("crawler:h000.invalid");
        assertThat((Map<String, Object>) second.get("details")).hasSize(700 - HealthRoutes.PAGE_SIZE)
                .containsKey("crawler:h699.invalid");
        assertThat((Map<String, Object>) second.get("paging")).containsEntry("pages", 2).containsEntry("breakers", 700);
    }

    private static BreakerHealth health(String name, String state) {
        return EventJson.decode(("{\"breaker\":\"" + name + "\",\"state\":\"" + state + "\",\"is_closed\":"
                + state.equals("closed") + ",\"is_open\":" + state.equals("open") + "}").getBytes(StandardCharsets.UTF_8),
                BreakerHealth.class);
    }
}
