package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.SortedMap;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerHealth;

/** {@code breakwater health} summarises per-host breakers; {@code --all} lists them. */
class HealthCommandTest {

    private final SortedMap<String, BreakerHealth> breakers = new TreeMap<>();

    HealthCommandTest() {
        breakers.put("llm_service", health("llm_service", "closed"));
        for (int i = 0; i < 300; i++) {
            breakers.put("crawler:h" + i + ".invalid", health("crawler:h" + i + ".invalid", i == 42 ? "open" : "closed"));
        }
    }

    @Test
    void shouldShowTheNamedBreakersAndACrawlerSummaryWithItsWorstHosts() {
        String printed = print(false);

        assertThat(printed).contains("llm_service").contains("crawler:h42.invalid")
                .contains("crawler: 300 breakers (299 closed, 0 half-open, 1 open)");
        assertThat(printed.lines().filter(line -> line.contains("crawler"))).hasSizeLessThanOrEqualTo(11);
    }

    @Test
    void shouldListEveryHostWithAll() {
        assertThat(print(true).lines().filter(line -> line.contains("crawler:h"))).hasSize(300);
    }

    private String print(boolean all) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        HealthCommand.print(breakers, false, all, "breaker.health", new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static BreakerHealth health(String name, String state) {
        return EventJson.decode(("{\"breaker\":\"" + name + "\",\"state\":\"" + state + "\",\"is_closed\":"
                + state.equals("closed") + ",\"is_open\":" + state.equals("open") + "}").getBytes(StandardCharsets.UTF_8),
                BreakerHealth.class);
    }
}
