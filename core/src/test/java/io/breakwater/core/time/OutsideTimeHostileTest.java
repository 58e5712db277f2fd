package io.breakwater.core.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/**
 * Review evidence (issue 12): {@code OutsideTime.seconds} turns a tiny positive number into millis with
 * {@code movePointRight(3).setScale(0, CEILING)}; for {@code 1e-99999999} (13 characters, under MAX_TEXT) setScale
 * computes 10^99999996 as a BigInteger: a site's or an LLM's {@code Retry-After} pins a worker thread for minutes
 * (longer for 1e-999999999) and can exhaust the heap.
 */
class OutsideTimeHostileTest {

    @Test
    void aRetryAfterWithAHugeNegativeExponentIsReadAtOnce() {
        Optional<Duration> read = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> OutsideTime.retryAfter("1e-99999999"));
        assertThat(read).isPresent();
        assertThat(read.get()).isLessThanOrEqualTo(Duration.ofSeconds(1));
    }
}
