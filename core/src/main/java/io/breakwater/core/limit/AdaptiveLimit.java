package io.breakwater.core.limit;

/**
 * How many calls a dependency takes at once, learnt from how its calls end, with nothing to tune: the arithmetic
 * behind a {@link CallLimiter}. In the manner of TCP's congestion control, adapted to a server that refuses rather
 * than drops:
 * <ul>
 * <li><b>Slow start.</b> While nothing says how much the dependency takes, every call that ends well while the limit
 *     is in use raises it by one: the limit doubles each round trip, and finds a capacity of hundreds in a few.</li>
 * <li><b>Too many</b> (a 429, {@link #rateLimited}): the calls in flight when it came, less one, are what the
 *     dependency takes ({@link #capacity}); the limit drops to 90 % of that, once per round trip however many calls
 *     were refused in it.</li>
 * <li><b>Back to the capacity</b> in a round trip or two, closing half the gap each round.</li>
 * <li><b>Probing above it</b> by one call every few round trips: a dependency that takes more gets more. Each time a
 *     probe meets the same capacity again, the next probe waits twice as long (up to {@value #MAX_PROBE_ROUNDS}
 *     rounds), so a steady capacity costs a refused call rarely. More than one call past it without a 429 means the
 *     capacity grew (or the 429 was about something else, a quota): it becomes the new capacity, and the probes
 *     above it take twice as many calls each time this happens again, so a capacity far above finds its way back
 *     in a few round trips, and one just above costs a refused call or two rather than a burst.</li>
 * <li><b>Queueing.</b> Latency is averaged over windows of at least {@value #MIN_WINDOW} calls (an LLM's latency
 *     varies with each answer's length; a window's average varies far less). When a window's average is more than
 *     {@value #QUEUEING_TOLERANCE} times the lowest seen, the dependency may be queueing rather than refusing (a
 *     local model server does): its capacity would be the calls in flight scaled down by how much longer they took,
 *     and the limit drops towards that, to half the calls the window had in flight at most. The next window, of calls
 *     made once the calls before the cut are done, tells: if their latency fell with the load, it was queueing, and the limit climbs back a call per round trip while the
 *     latency allows; if not, the answers just got longer, the limit is restored and the longer latency is the new
 *     baseline.</li>
 * <li><b>Timeouts.</b> A call that outlasted its timeout counts as "too many" at half the calls in flight when it
 *     started: a server that queues everything past the timeout shows it no other way.</li>
 * </ul>
 * The limit stays between 1 and the ceiling. Not thread-safe: {@link CallLimiter} holds its lock around it. Time is
 * what the caller says it is ({@code nowNanos}), so tests need no clock.
 */
public final class AdaptiveLimit {

    /** Where the limit goes after "too many": 90 % of the capacity seen. */
    static final double BACKOFF = 0.9;
    static final double QUEUEING_TOLERANCE = 3.0;
    static final int MAX_PROBE_ROUNDS = 64;
    static final int FIRST_PROBE_ROUNDS = 2;
    /** The fewest calls whose latencies are averaged into a window. */
    static final int MIN_WINDOW = 50;
    /** How much a window's latency must fall after a cut to show that the dependency was queueing. */
    private static final double QUEUEING_CONFIRMED = 0.75;
    private static final double MIN_ROUND_NANOS = 10_000_000;

    private final int ceiling;
    private double limit;
    /** Calls at once the dependency took when it last said "too many" (or queued); 0 while unknown. */
    private double capacity;
    /** What the capacity was learnt from. */
    private Evidence evidence = Evidence.NONE;
    private int probeRounds = FIRST_PROBE_ROUNDS;
    /** Calls a probe above the capacity adds: one, doubled each time the dependency takes more without a 429. */
    private double probeStep = 1;
    /** A round trip, lately: for one decrease per round trip. */
    private double recentRttNanos;
    private long lastDecreaseNanos;
    private boolean decreased;

    /** The latency window being filled. */
    private long windowCalls;
    private long windowSize = MIN_WINDOW;
    private double windowRttSum;
    private double windowInFlightSum;
    /**
     * The lowest window average seen, or the latency a disproved suspicion found: what a call takes when nothing
     * queues. A lasting rise without queueing (longer answers) is learnt through a suspicion it disproves.
     */
    private double baselineRttNanos;
    /** A cut on suspicion of queueing, which the next window confirms or undoes; null when none is pending. */
    private Suspicion suspicion;

    /** What a capacity was learnt from, which decides how the limit probes above it. */
    private enum Evidence {
        /** Nothing yet: slow start. */
        NONE,
        /** A 429: probe rarely, and faster each time it is taken past without one. */
        REFUSED,
        /**
         * Timeouts: probe rarely; their verdict comes a whole timeout late, so more calls than it that have not timed
         * out yet prove nothing, and the probes do not speed up.
         */
        TIMED_OUT,
        /** Queueing, guessed from latency: climb a call per round trip while the latency allows. */
        QUEUEING
    }

    /** What a cut for queueing changed, to undo it if the next window shows no queueing. */
    private record Suspicion(long testFromNanos, double rttBefore, double limitBefore, double capacityBefore,
                             Evidence evidenceBefore) {
    }

    /**
     * @param initial the limit before anything is learnt
     * @param ceiling the limit never goes above this
     */
    public AdaptiveLimit(int initial, int ceiling) {
        if (ceiling < 1) {
            throw new IllegalArgumentException("the ceiling must be at least 1 but was " + ceiling);
        }
        this.ceiling = ceiling;
        this.limit = Math.max(1, Math.min(initial, ceiling));
    }

    /** Calls that may be in flight now: at least 1, at most the ceiling. */
    public int limit() {
        return (int) limit;
    }

    public int ceiling() {
        return ceiling;
    }

    /** What the dependency took at once when it last said "too many" (or queued); 0 while unknown. */
    public int capacity() {
        return (int) capacity;
    }

    /**
     * A call ended well after {@code rttNanos}.
     *
     * @param inFlight calls in flight when it started, itself included
     * @param busiest the most calls in flight lately (over the last round trip or so): whether the limit is in use
     */
    public void succeeded(long rttNanos, int inFlight, int busiest, long nowNanos) {
        double rtt = Math.max(1, rttNanos);
        recentRttNanos = recentRttNanos == 0 ? rtt : recentRttNanos + (rtt - recentRttNanos) / Math.max(10, limit);
        if (suspicion == null || nowNanos - rttNanos >= suspicion.testFromNanos()) {
            // While a cut is being tested, only calls made once the calls before it are done tell whether it lowered
            // the latency: until then, a queue still holds them.
            windowCalls++;
            windowRttSum += rtt;
            windowInFlightSum += inFlight;
            if (windowCalls == 1) {
                // Sized when it opens: a limit that grows with every call would never let it close.
                windowSize = Math.max(MIN_WINDOW, (long) limit);
            }
            if (windowCalls >= windowSize) {
                closeWindow(nowNanos);
            }
        }
        if (suspicion == null) {
            grow(busiest);
        }
    }

    private void grow(int busiest) {
        if (busiest < limit / 2) {
            return; // the limit was not in use: nothing says it could be higher
        }
        if (evidence == Evidence.REFUSED && limit >= capacity + 2 && busiest >= capacity + 2) {
            // It took more than it refused beyond, and refused none: its capacity grew, or the 429 was about something
            // else (a quota). Probe on, twice as fast each time it takes more again.
            capacity = busiest - 1;
            probeStep = Math.min(probeStep * 2, Math.max(1, capacity));
            probeRounds = FIRST_PROBE_ROUNDS;
        }
        if (evidence == Evidence.NONE) {
            limit += 1;
        } else if (limit < capacity) {
            limit += Math.max(1, (capacity - limit) / 2) / limit;
            limit = Math.min(limit, capacity);
        } else {
            // Above a capacity the dependency refused beyond, probe rarely; above one guessed from queueing, climb by
            // a call each round trip while the latency allows.
            limit += evidence == Evidence.QUEUEING ? 1 / limit : probeStep / (limit * probeRounds);
        }
        limit = Math.min(limit, ceiling);
    }

    /**
     * The dependency refused a call as one too many (a 429).
     *
     * @param inFlight calls in flight when it started, itself included
     */
    public void rateLimited(int inFlight, long nowNanos) {
        tooMany(inFlight - 1, Evidence.REFUSED, nowNanos);
    }

    /**
     * The dependency showed it takes {@code took} calls at once and no more: the limit comes down below that, once per
     * round trip however many calls showed it, and probes above it rarely. The same capacity again makes the next
     * probe wait longer.
     */
    private void tooMany(double took, Evidence from, long nowNanos) {
        if (decreased && nowNanos - lastDecreaseNanos < roundNanos()) {
            return; // the same episode: its other calls say nothing new
        }
        took = Math.max(1, took);
        boolean same = (evidence == Evidence.REFUSED || evidence == Evidence.TIMED_OUT)
                && Math.abs(took - capacity) <= Math.max(1, capacity * 0.1);
        probeRounds = same ? Math.min(MAX_PROBE_ROUNDS, probeRounds * 2) : FIRST_PROBE_ROUNDS;
        capacity = took;
        evidence = from;
        probeStep = 1;
        suspicion = null;
        decrease(Math.min(limit, took) * BACKOFF, nowNanos);
    }

    /**
     * A call outlasted its timeout: the surest sign of too many calls at once for a server that queues (and a
     * timed-out call's latency never reaches a window). Taken as "too many" at half the calls in flight when it
     * started: the limit comes down below that, once per round trip, and probes above it rarely.
     *
     * @param inFlight calls in flight when it started, itself included
     */
    public void timedOut(int inFlight, long nowNanos) {
        tooMany(Math.min(limit, inFlight) / 2, Evidence.TIMED_OUT, nowNanos);
    }

    /** A window of latencies is full: learn the baseline from it, suspect queueing, or settle a suspicion. */
    private void closeWindow(long nowNanos) {
        double average = windowRttSum / windowCalls;
        double inFlight = windowInFlightSum / windowCalls;
        windowCalls = 0;
        windowRttSum = 0;
        windowInFlightSum = 0;
        Suspicion pending = suspicion;
        if (pending != null) {
            suspicion = null;
            if (average >= pending.rttBefore() * QUEUEING_CONFIRMED) {
                // Fewer calls took as long: the answers got longer. Undo the cut; this latency is the new normal.
                limit = Math.max(limit, pending.limitBefore());
                capacity = pending.capacityBefore();
                evidence = pending.evidenceBefore();
                baselineRttNanos = average;
            }
            return;
        }
        if (baselineRttNanos == 0 || average < baselineRttNanos) {
            baselineRttNanos = average;
            return;
        }
        if (average > QUEUEING_TOLERANCE * baselineRttNanos) {
            suspicion = new Suspicion(nowNanos + (long) average, average, limit, capacity, evidence);
            capacity = Math.max(1, inFlight * baselineRttNanos / average);
            evidence = Evidence.QUEUEING;
            probeRounds = FIRST_PROBE_ROUNDS;
            // Half the calls the window had in flight, at least: a queue would show it in the next window's latency.
            limit = Math.max(1, Math.max(Math.min(limit, inFlight) / 2, Math.min(limit, capacity) * BACKOFF));
        }
    }

    private void decrease(double to, long nowNanos) {
        decreased = true;
        lastDecreaseNanos = nowNanos;
        limit = Math.max(1, Math.min(limit, to));
    }

    /** A round trip, as lately seen (before any is seen, a short one): at most one decrease per round trip. */
    private double roundNanos() {
        return Math.max(recentRttNanos, MIN_ROUND_NANOS);
    }
}
