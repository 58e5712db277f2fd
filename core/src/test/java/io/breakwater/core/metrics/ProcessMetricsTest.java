package io.breakwater.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.config.BreakerSettings;

class ProcessMetricsTest {

    @Test
    void shouldExposeEachTrackedBreakersStateAndCallsByOutcomeAndForgetItOnceUntracked() {
        BreakerPolicy breaker = new BreakerPolicy(new BreakerSettings("metrics_test", 2, 1, Duration.ofMinutes(1),
                Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(2)),
                new BreakerPolicy.Identity("node-7", Clock.systemUTC().instant()), false, Duration.ofSeconds(60),
                Clock.systemUTC());
        ProcessMetrics.track(breaker);
        breaker.call(() -> "ok");
        for (int i = 0; i < 3; i++) {
            try {
                breaker.call(() -> {
                    throw new DependencyUnavailableException("down");
                });
            } catch (RuntimeException expected) {
                // two failures open it; the third call is refused
            }
        }

        String scraped = ProcessMetrics.scrape();

        assertThat(scraped)
                .contains("breakwater_breaker_state{breaker=\"metrics_test\",instance=\"node-7\"} 2.0")
                .contains("breakwater_breaker_calls_total{breaker=\"metrics_test\",instance=\"node-7\",outcome=\"success\"} 1.0")
                .contains("breakwater_breaker_calls_total{breaker=\"metrics_test\",instance=\"node-7\",outcome=\"failure\"} 2.0")
                .contains("breakwater_breaker_calls_total{breaker=\"metrics_test\",instance=\"node-7\",outcome=\"rejected\"} 1.0")
                .contains("breakwater_breaker_calls_total{breaker=\"metrics_test\",instance=\"node-7\",outcome=\"timeout\"} 0.0")
                .contains("breakwater_dependency_call_seconds_count{breaker=\"metrics_test\",outcome=\"success\"} 1")
                .contains("breakwater_dependency_call_seconds_count{breaker=\"metrics_test\",outcome=\"failure\"} 2")
                .contains("jvm_memory_used_bytes");
        assertThat(ProcessMetrics.contentType()).startsWith("text/plain");

        ProcessMetrics.untrack(breaker);
        assertThat(ProcessMetrics.scrape()).doesNotContain("metrics_test");
    }

    @Test
    void shouldShowThreeHundredHostBreakersInAConstantNumberOfSeries() {
        java.util.List<BreakerPolicy> hosts = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            BreakerPolicy host = new BreakerPolicy(new BreakerSettings("crawler:h" + i + ".invalid", 1, 1,
                    Duration.ofMinutes(1), Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(2)),
                    new BreakerPolicy.Identity("node-8", Clock.systemUTC().instant()), false, Duration.ofSeconds(60),
                    Clock.systemUTC());
            ProcessMetrics.track(host);
            hosts.add(host);
            host.call(() -> "ok");
        }
        try {
            hosts.get(7).call(() -> {
                throw new DependencyUnavailableException("down");
            });
        } catch (RuntimeException expected) {
            // one failure opens it
        }

        String scraped = ProcessMetrics.scrape();

        assertThat(scraped.lines().filter(line -> !line.startsWith("#") && line.contains("crawler"))).hasSizeLessThanOrEqualTo(50);
        assertThat(scraped)
                .contains("breakwater_breakers{family=\"crawler\",state=\"open\"} 1.0")
                .contains("breakwater_breakers{family=\"crawler\",state=\"closed\"} 299.0")
                .contains("breakwater_breaker_state{breaker=\"crawler:h7.invalid\",instance=\"node-8\"} 2.0")
                .contains("breakwater_breaker_calls_total{breaker=\"crawler:*\",instance=\"node-8\",outcome=\"success\"} 300.0");

        hosts.forEach(ProcessMetrics::untrack);
        assertThat(ProcessMetrics.scrape()).as("a gone host's calls stay counted in its family")
                .contains("breakwater_breaker_calls_total{breaker=\"crawler:*\",instance=\"node-8\",outcome=\"success\"} 300.0")
                .doesNotContain("crawler:h7.invalid");
    }
}
