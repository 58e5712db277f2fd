package io.breakwater.core.limit;

/**
 * How many calls a dependency takes at once, learnt from how its calls end, with nothing to tune: the arithmetic
 * behind a {@link CallLimiter}. In the manner of TCP's congestion control, adapted to a server that refuses rather
 * than drops:
 * <ul>
 * <li><b>Slow start.</b> Until the dependency has said "too many" once, every call that ends well while the limit is
 *     in use raises it by one: the limit doubles each round trip, and finds a capacity of hundreds in a few.</li>
 * <li><b>Too many</b> (a 429, {@link #rateLimited}): the calls in flight when it came, less one, are what the
 *     dependency takes ({@link #capacity}); the limit drops to 90 % of that, once per round trip however many calls
 *     were refused in it.</li>
 * <li><b>Back to the capacity</b> in a round trip or two, closing half the gap each round.</li>
 * <li><b>Probing above it</b> by one call every few round trips: a dependency that takes more gets more. Each time a
 *     probe meets the same capacity again, the next probe waits twice as long (up to {@value #MAX_PROBE_ROUNDS}
 *     rounds), so a steady capacity costs a refused call rarely; a different capacity starts the probing afresh.</li>
 * <li><b>Queueing</b>: when the latest round trips take more than {@value #QUEUEING_TOLERANCE} times the
 *     lowest average seen (which follows a lasting rise, slowly), the dependency queues rather than refuses (a local
 *     model server does). Its capacity is then the calls in flight scaled down by how much longer they took, and the
 *     limit drops below it as after a 429, and climbs back a call per round trip while the latency allows. An LLM's latency varies with its answers' length, so the tolerance is
 *     wide: this is a guard, and 429s are the signal.</li>
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
    /**
     * Round trips over which the baseline follows a lasting rise: slowly, so that queueing does not become the norm,
     * but a lasting change (longer prompts) is learnt in the end.
     */
    private static final double BASELINE_DRIFT_ROUNDS = 1_000;
    /** The fewest samples before latency may lower the limit. */
    private static final int WARM_SAMPLES = 50;
    private static final double MIN_ROUND_NANOS = 10_000_000;

    private final int ceiling;
    private double limit;
    /** Calls at once the dependency took when it last said "too many"; 0 until it has. */
    private double capacity;
    /** Whether the capacity is one the dependency refused beyond (a 429), not one guessed from queueing. */
    private boolean refusedAtCapacity;
    private int probeRounds = FIRST_PROBE_ROUNDS;
    private double shortRttNanos;
    /** The lowest round-trip average seen, rising slowly: what a call takes when nothing queues. */
    private double baselineRttNanos;
    private long samples;
    private long lastDecreaseNanos;
    private boolean decreased;

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

    /** What the dependency took at once when it last said "too many"; 0 if it never has. */
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
        observe(rttNanos);
        if (samples >= WARM_SAMPLES && shortRttNanos > QUEUEING_TOLERANCE * baselineRttNanos) {
            // A server that shares itself between its calls takes each longer in proportion: what it takes at once
            // without queueing is the calls in flight scaled down by how much longer they took.
            learnCapacity(inFlight * baselineRttNanos / Math.max(rttNanos, baselineRttNanos), false, nowNanos);
            return;
        }
        if (busiest < limit / 2) {
            return; // the limit was not in use: nothing says it could be higher
        }
        if (capacity == 0) {
            limit += 1;
        } else if (limit < capacity) {
            limit += Math.max(1, (capacity - limit) / 2) / limit;
            limit = Math.min(limit, capacity);
        } else {
            // Above a capacity the dependency refused beyond, probe rarely; above one guessed from queueing, which
            // its latency now says is gone, climb by a call each round trip.
            limit += 1 / (limit * (refusedAtCapacity ? probeRounds : 1));
        }
        limit = Math.min(limit, ceiling);
    }

    /**
     * The dependency refused a call as one too many (a 429).
     *
     * @param inFlight calls in flight when it started, itself included
     */
    public void rateLimited(int inFlight, long nowNanos) {
        learnCapacity(inFlight - 1, true, nowNanos);
    }

    /**
     * The dependency showed it takes {@code took} calls at once: the limit comes down below that, once per round trip
     * however many calls showed it. The same capacity again makes the next probe above it wait longer.
     */
    private void learnCapacity(double took, boolean refused, long nowNanos) {
        if (decreased && nowNanos - lastDecreaseNanos < roundNanos()) {
            return; // the same episode: its other calls say nothing new
        }
        took = Math.max(1, took);
        boolean same = capacity > 0 && Math.abs(took - capacity) <= Math.max(1, capacity * 0.1);
        probeRounds = same ? Math.min(MAX_PROBE_ROUNDS, probeRounds * 2) : FIRST_PROBE_ROUNDS;
        capacity = took;
        refusedAtCapacity = refused;
        decrease(Math.min(limit, took) * BACKOFF, nowNanos);
    }

    private void decrease(double to, long nowNanos) {
        if (decreased && nowNanos - lastDecreaseNanos < roundNanos()) {
            return;
        }
        decreased = true;
        lastDecreaseNanos = nowNanos;
        limit = Math.max(1, Math.min(limit, to));
    }

    /**
     * A round trip when nothing queues (before any is seen, a short one): at most one decrease per round trip, and
     * a queue that stretched the round trips does not slow the cuts that drain it.
     */
    private double roundNanos() {
        return Math.max(baselineRttNanos, MIN_ROUND_NANOS);
    }

    private void observe(long rttNanos) {
        double rtt = Math.max(1, rttNanos);
        samples++;
        if (samples == 1) {
            shortRttNanos = rtt;
            baselineRttNanos = rtt;
            return;
        }
        // The short average spans about a round trip's calls: one slow answer among them moves it little.
        shortRttNanos += (rtt - shortRttNanos) / Math.max(10, limit);
        baselineRttNanos = shortRttNanos < baselineRttNanos ? shortRttNanos
                : baselineRttNanos + (shortRttNanos - baselineRttNanos) / (BASELINE_DRIFT_ROUNDS * Math.max(1, limit));
    }
}
