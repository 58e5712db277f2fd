package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The quota an answer reports slows the callers down before the provider has to say 429. */
class RemainingQuotaTest {

    @Test
    void shouldNotPauseWhileMuchOfTheQuotaIsLeft() {
        assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-limit-requests", "500",
                "x-ratelimit-remaining-requests", "499", "x-ratelimit-reset-requests", "120ms"), 0)).isEmpty();
    }

    @Test
    void shouldPauseUntilTheResetWhenNoRequestIsLeft() {
        assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-limit-requests", "500",
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "6s"), 0))
                .contains(Duration.ofSeconds(6));
    }

    @Test
    void shouldSpreadTheLastRequestsEvenlyUntilTheReset() {
        // 4 left of 100, resetting in 10 s: a call every 2 s
        assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-limit-requests", "100",
                "x-ratelimit-remaining-requests", "4", "x-ratelimit-reset-requests", "10s"), 0))
                .contains(Duration.ofSeconds(2));
    }

    @Test
    void shouldNotPauseForASpacingShorterThanACooldownLasts() {
        // 500 left of 10,000, resetting in 3 s: 6 ms apart, which a 250 ms cooldown would only slow down
        assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-limit-requests", "10000",
                "x-ratelimit-remaining-requests", "500", "x-ratelimit-reset-requests", "3s"), 0)).isEmpty();
    }

    @Test
    void shouldCountTokensInCallsOfTheSizeOfTheLastOne() {
        // 1,500 tokens left of 200,000, calls of 1,000: one call left, so until the reset shared by two
        assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-limit-tokens", "200000",
                "x-ratelimit-remaining-tokens", "1500", "x-ratelimit-reset-tokens", "1m0s"), 1000))
                .contains(Duration.ofSeconds(30));
        // fewer tokens left than a call takes: until the reset
        assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-limit-tokens", "200000",
                "x-ratelimit-remaining-tokens", "500", "x-ratelimit-reset-tokens", "1m0s"), 1000))
                .contains(Duration.ofMinutes(1));
    }

    @Test
    void shouldTakeTheLongerOfTheTwoQuotasPauses() {
        assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-remaining-requests", "0",
                "x-ratelimit-reset-requests", "1s", "x-ratelimit-remaining-tokens", "0",
                "x-ratelimit-reset-tokens", "20s"), 100)).contains(Duration.ofSeconds(20));
    }

    @Test
    void shouldIgnoreFiguresThatAreNoFigures() {
        for (String remaining : List.of("-1", "lots", "9".repeat(40), "", "1e3", "0x10")) {
            assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-limit-requests", "100",
                    "x-ratelimit-remaining-requests", remaining, "x-ratelimit-reset-requests", "10s"), 0))
                    .as(remaining).isEmpty();
        }
        assertThat(RemainingQuota.pauseAfter(headers("x-ratelimit-remaining-requests", "0",
                "x-ratelimit-reset-requests", "whenever"), 0)).as("no readable reset").isEmpty();
        assertThat(RemainingQuota.pauseAfter(headers(), 0)).as("no headers").isEmpty();
    }

    private static HttpHeaders headers(String... namesAndValues) {
        Map<String, List<String>> map = new HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put(namesAndValues[i], List.of(namesAndValues[i + 1]));
        }
        return HttpHeaders.of(map, (name, value) -> true);
    }
}
