package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.Settings;

/** Review of issue 14, item 4: "a slow-call threshold for every breaker", the crawler's per-host ones included. */
class HostBreakersSlowCallsTest {

    @Test
    void shouldGiveEachHostsBreakerTheCrawlersSlowCallFigures() {
        Settings settings = Settings.of(Map.of("breaker.crawler.slow.call.seconds", "3",
                "breaker.crawler.slow.call.rate.percent", "80", "breaker.crawler.slow.call.window", "20"));
        HostBreakers breakers = new HostBreakers(settings, CrawlerSettings.from(settings),
                new BreakerPolicy.Identity("node-1", Clock.systemUTC().instant()), FleetSettings.from(settings),
                Clock.systemUTC(), made -> { }, gone -> { }, 50);

        assertThat(breakers.forHost("slow.example.org").settings().slowCalls())
                .as("BW_BREAKER_CRAWLER_SLOW_CALL_* reach the host breakers")
                .isEqualTo(new BreakerSettings.SlowCalls(Duration.ofSeconds(3), 80, 20));
    }
}
