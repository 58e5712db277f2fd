package io.breakwater.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyWindowTest {

    private static final Duration WINDOW = Duration.ofSeconds(60);
    private static final Duration SNAPSHOT = Duration.ofSeconds(5);

    @Test
    void shouldMergeTheCallsOfTheLastWindowExactlyAndForgetOlderOnes() {
        LatencyWindow window = new LatencyWindow(WINDOW);
        Instant start = Instant.parse("2026-12-03T10:00:00Z");
        window.record(Duration.ofMillis(900).toNanos());
        window.encodedWindow(start);
        window.record(Duration.ofMillis(3).toNanos());
        window.record(Duration.ofMillis(5).toNanos());

        Histogram both = LatencyWindow.decode(window.encodedWindow(start.plus(SNAPSHOT)));
        Histogram later = LatencyWindow.decode(window.encodedWindow(start.plus(WINDOW).plusSeconds(1)));

        assertThat(both.getTotalCount()).isEqualTo(3);
        assertThat(both.getMaxValue()).isBetween(899_000L, 901_000L);
        assertThat(later.getTotalCount()).as("the first interval ended more than a window ago").isEqualTo(2);
        assertThat(LatencyWindow.merge(List.of(LatencyWindow.encode(both), LatencyWindow.encode(later)))
                .getTotalCount()).isEqualTo(5);
    }

    /**
     * A crawler has a breaker, and so a window, per host, up to a thousand: a window that took a flat histogram of
     * its range (185 KiB) per interval held 2.6 MiB, and 150 hosts filled a 512 MiB heap.
     */
    @Test
    void shouldCostKilobytesNotMegabytesForABreakerWithAFewCallsPerInterval() {
        int breakers = 100;
        fill(1); // the encoding buffer, once per thread
        long before = allocatedBytes();

        List<LatencyWindow> windows = fill(breakers);

        long perBreaker = (allocatedBytes() - before) / breakers;
        System.out.printf("LatencyWindowTest: %d KiB allocated per breaker for a full window%n", perBreaker / 1024);
        assertThat(windows).hasSize(breakers);
        assertThat(perBreaker).as("bytes allocated, an upper bound of those kept").isLessThan(256 * 1024);
    }

    @Test
    void shouldNotSumAgainAWindowThatDidNotChange() {
        fill(1);
        LatencyWindow window = new LatencyWindow(WINDOW);
        Instant now = Instant.parse("2026-12-03T10:00:00Z");
        window.record(Duration.ofMillis(40).toNanos());
        String first = window.encodedWindow(now);
        String[] reports = new String[11];
        long before = allocatedBytes();

        for (int interval = 1; interval <= reports.length; interval++) {
            reports[interval - 1] = window.encodedWindow(now.plus(SNAPSHOT.multipliedBy(interval)));
        }

        long allocated = allocatedBytes() - before;
        assertThat(reports).allSatisfy(report -> assertThat(report).isSameAs(first));
        assertThat(allocated).as("bytes allocated by eleven reports without calls").isLessThan(8 * 1024);
        assertThat(LatencyWindow.decode(window.encodedWindow(now.plus(WINDOW).plusSeconds(1))).getTotalCount())
                .as("its one call is out of the window").isZero();
    }

    @Test
    void shouldKeepEveryCallOfABusyIntervalWhenItBecomesAHistogram() {
        LatencyWindow window = new LatencyWindow(WINDOW);
        for (int call = 1; call <= LatencyWindow.RAW_CALLS * 3; call++) {
            window.record(Duration.ofMillis(call).toNanos());
        }

        Histogram histogram = LatencyWindow.decode(window.encodedWindow(Instant.parse("2026-12-03T10:00:00Z")));

        assertThat(histogram.getTotalCount()).isEqualTo(LatencyWindow.RAW_CALLS * 3);
        assertThat(histogram.getMinValue()).isBetween(999L, 1_001L);
        assertThat(histogram.getMaxValue()).isBetween(383_000L, 385_000L);
    }

    private static List<LatencyWindow> fill(int breakers) {
        List<LatencyWindow> windows = new ArrayList<>();
        Instant now = Instant.parse("2026-12-03T10:00:00Z");
        for (int i = 0; i < breakers; i++) {
            LatencyWindow window = new LatencyWindow(WINDOW);
            for (int interval = 0; interval <= WINDOW.dividedBy(SNAPSHOT); interval++) {
                for (int call = 0; call < 3; call++) {
                    window.record(Duration.ofMillis(1 + (i * 31L + interval * 7L + call * 1_009L) % 20_000).toNanos());
                }
                window.encodedWindow(now.plus(SNAPSHOT.multipliedBy(interval)));
            }
            windows.add(window);
        }
        return windows;
    }

    private static long allocatedBytes() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
    }
}
