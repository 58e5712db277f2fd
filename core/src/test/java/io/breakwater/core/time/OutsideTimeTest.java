package io.breakwater.core.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class OutsideTimeTest {

    private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Duration MAX = Duration.ofHours(1);

    @Test
    void shouldClampAHugeRetryAfterInsteadOfOverflowing() {
        assertThat(OutsideTime.retryAfter("10000000000", CLOCK, MAX)).contains(MAX);
        assertThat(OutsideTime.retryAfter("9".repeat(500), CLOCK, MAX)).contains(MAX);
        assertThat(OutsideTime.retryAfter("1e400", CLOCK, MAX)).contains(MAX);
    }

    @Test
    void shouldReadSecondsLeniently() {
        assertThat(OutsideTime.retryAfter(" 7 ", CLOCK, MAX)).contains(Duration.ofSeconds(7));
        assertThat(OutsideTime.retryAfter("1.5", CLOCK, MAX)).contains(Duration.ofMillis(1500));
        assertThat(OutsideTime.retryAfter("-3", CLOCK, MAX)).contains(Duration.ZERO);
        assertThat(OutsideTime.retryAfter("soon", CLOCK, MAX)).isEmpty();
        assertThat(OutsideTime.retryAfter("", CLOCK, MAX)).isEmpty();
        assertThat(OutsideTime.retryAfter(null, CLOCK, MAX)).isEmpty();
    }

    @Test
    void shouldReadTheThreeHttpDateForms() {
        assertThat(OutsideTime.retryAfter("Thu, 03 Dec 2026 10:00:30 GMT", CLOCK, MAX)).contains(Duration.ofSeconds(30));
        assertThat(OutsideTime.retryAfter("Thursday, 03-Dec-26 10:01:00 GMT", CLOCK, MAX)).contains(Duration.ofMinutes(1));
        assertThat(OutsideTime.retryAfter("Thu Dec  3 10:02:00 2026", CLOCK, MAX)).contains(Duration.ofMinutes(2));
        assertThat(OutsideTime.retryAfter("Fri, 31 Dec 9999 23:59:59 GMT", CLOCK, MAX)).contains(MAX);
        assertThat(OutsideTime.retryAfter("Thu, 01 Jan 1970 00:00:00 GMT", CLOCK, MAX)).contains(Duration.ZERO);
    }

    @Test
    void shouldSaturateTimeArithmetic() {
        Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
        assertThat(OutsideTime.plusNanosSaturated(System.nanoTime(), forever)).isEqualTo(Long.MAX_VALUE);
        assertThat(OutsideTime.plusNanosSaturated(Long.MAX_VALUE - 5, Duration.ofNanos(10))).isEqualTo(Long.MAX_VALUE);
        assertThat(OutsideTime.plusNanosSaturated(100, Duration.ofNanos(10))).isEqualTo(110);
        assertThat(OutsideTime.plusSaturated(NOW, forever)).isEqualTo(Instant.MAX);
        assertThat(OutsideTime.toNanosSaturated(forever)).isEqualTo(Long.MAX_VALUE);
        assertThat(OutsideTime.clamp(Duration.ofDays(3), MAX)).isEqualTo(MAX);
        assertThat(OutsideTime.clamp(Duration.ofSeconds(-1), MAX)).isZero();
    }
}
