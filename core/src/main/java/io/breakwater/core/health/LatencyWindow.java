package io.breakwater.core.health;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Deque;
import java.util.zip.DataFormatException;

import org.HdrHistogram.Histogram;

/**
 * One instance's call latencies over a sliding window, as an HdrHistogram in microseconds. Histograms merge
 * exactly, so the fleet's percentiles come from every call of every instance, not from an average of per-instance
 * percentiles (which is what Hystrix's dashboard showed, and which is simply wrong). Safe from any thread;
 * {@link #encodedWindow} is called by one reporting thread.
 * <p>
 * The window is a run of intervals, one per report. A histogram of this range and precision takes 185 KiB whatever
 * it holds, so an interval keeps its calls as they are until it has {@value #RAW_CALLS} of them, and only a busier one
 * becomes a histogram; an interval without calls is not kept at all. A crawler has a breaker per host, a thousand
 * of them, most with a call or two a minute: with a histogram per interval, a hundred and fifty hosts filled a
 * 512 MiB heap. A window that did not change since the last report is not summed and encoded again.
 */
public final class LatencyWindow {

    /** Three significant digits up to an hour: plenty for a dependency call. */
    private static final long HIGHEST_MICROS = Duration.ofHours(1).toNanos() / 1000;
    private static final int DIGITS = 3;
    /** Calls an interval keeps as they are; a busier one becomes a histogram. */
    static final int RAW_CALLS = 128;

    /** Each reporting thread sums windows into one histogram and encodes into one buffer, both reused. */
    private static final ThreadLocal<Histogram> SUMMING = ThreadLocal.withInitial(LatencyWindow::empty);
    private static final ThreadLocal<ByteBuffer> ENCODING = ThreadLocal.withInitial(() -> ByteBuffer.allocate(4096));

    private final Duration window;
    /** The interval being recorded; guarded by itself, never held while a window is summed. */
    private final Object recording = new Object();
    private Interval current = new Interval();
    /** Closed intervals with calls, oldest first; guarded by {@code this}. */
    private final Deque<Interval> intervals = new ArrayDeque<>();
    private String encoded;

    public LatencyWindow(Duration window) {
        this.window = window;
    }

    public void record(long nanos) {
        long micros = Math.min(HIGHEST_MICROS, Math.max(0, nanos / 1000));
        synchronized (recording) {
            current.record(micros);
        }
    }

    public Duration window() {
        return window;
    }

    /**
     * The calls of the last {@link #window}, ending at {@code now}, compressed and base64-encoded. Each call closes
     * an interval at {@code now}; intervals that ended more than a window before it are dropped.
     */
    public synchronized String encodedWindow(Instant now) {
        boolean changed = encoded == null;
        Interval closed;
        synchronized (recording) {
            closed = current;
            if (!closed.isEmpty()) {
                current = new Interval();
            }
        }
        if (!closed.isEmpty()) {
            closed.end = now;
            intervals.addLast(closed);
            changed = true;
        }
        while (!intervals.isEmpty() && Duration.between(intervals.peekFirst().end, now).compareTo(window) > 0) {
            intervals.removeFirst();
            changed = true;
        }
        if (changed) {
            Histogram sum = SUMMING.get();
            sum.reset();
            intervals.forEach(interval -> interval.addTo(sum));
            encoded = encode(sum);
        }
        return encoded;
    }

    public static Histogram empty() {
        return new Histogram(HIGHEST_MICROS, DIGITS);
    }

    public static String encode(Histogram histogram) {
        ByteBuffer buffer = ENCODING.get();
        int needed = histogram.getNeededByteBufferCapacity();
        if (buffer.capacity() < needed) {
            buffer = ByteBuffer.allocate(needed);
            ENCODING.set(buffer);
        }
        buffer.clear();
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length));
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

    /** One report's calls: as they are while few, a histogram once there are more than {@link #RAW_CALLS}. */
    private static final class Interval {
        private long[] calls = new long[4];
        private int count;
        private Histogram histogram;
        private Instant end;

        void record(long micros) {
            if (histogram != null) {
                histogram.recordValue(micros);
                return;
            }
            if (count == RAW_CALLS) {
                histogram = empty();
                for (int i = 0; i < count; i++) {
                    histogram.recordValue(calls[i]);
                }
                calls = null;
                histogram.recordValue(micros);
                return;
            }
            if (count == calls.length) {
                calls = Arrays.copyOf(calls, Math.min(RAW_CALLS, count * 2));
            }
            calls[count++] = micros;
        }

        boolean isEmpty() {
            return histogram == null && count == 0;
        }

        void addTo(Histogram sum) {
            if (histogram != null) {
                sum.add(histogram);
                return;
            }
            for (int i = 0; i < count; i++) {
                sum.recordValue(calls[i]);
            }
        }
    }
}
