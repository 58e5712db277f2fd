package io.breakwater.core.health;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Collection;
import java.util.Deque;
import java.util.zip.DataFormatException;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One instance's call latencies over a sliding window, as an HdrHistogram in microseconds. Histograms merge
 * exactly, so the fleet's percentiles come from every call of every instance, not from an average of per-instance
 * percentiles (which is what Hystrix's dashboard showed, and which is simply wrong). Recording is lock-free and
 * safe from any thread; {@link #encodedWindow} is called by one reporting thread.
 */
public final class LatencyWindow {

    /** Three significant digits up to an hour: plenty for a dependency call. */
    private static final long HIGHEST_MICROS = Duration.ofHours(1).toNanos() / 1000;
    private static final int DIGITS = 3;

    private final Recorder recorder = new Recorder(HIGHEST_MICROS, DIGITS);
    private final Duration window;
    private final Deque<Interval> intervals = new ArrayDeque<>();

    public LatencyWindow(Duration window) {
        this.window = window;
    }

    public void record(long nanos) {
        recorder.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, nanos / 1000)));
    }

    public Duration window() {
        return window;
    }

    /**
     * The calls of the last {@link #window}, ending at {@code now}, compressed and base64-encoded. Each call closes
     * an interval at {@code now}; intervals that ended more than a window before it are dropped.
     */
    public synchronized String encodedWindow(Instant now) {
        intervals.addLast(new Interval(now, recorder.getIntervalHistogram()));
        while (!intervals.isEmpty() && Duration.between(intervals.peekFirst().end(), now).compareTo(window) > 0) {
            intervals.removeFirst();
        }
        Histogram sum = empty();
        intervals.forEach(interval -> sum.add(interval.histogram()));
        return encode(sum);
    }

    public static Histogram empty() {
        return new Histogram(HIGHEST_MICROS, DIGITS);
    }

    public static String encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
    }

    /** @throws IllegalArgumentException if {@code encoded} is not a histogram written by {@link #encode} */
    public static Histogram decode(String encoded) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(encoded)), 0);
        } catch (DataFormatException | RuntimeException e) {
            throw new IllegalArgumentException("latency histogram is not a base64 compressed HdrHistogram: " + e.getMessage(), e);
        }
    }

    /** The exact merge of {@code encoded} histograms. */
    public static Histogram merge(Collection<String> encoded) {
        Histogram sum = empty();
        encoded.forEach(histogram -> sum.add(decode(histogram)));
        return sum;
    }

    private record Interval(Instant end, Histogram histogram) {
    }
}
