package io.breakwater.core.park;

import java.time.Duration;

import io.breakwater.core.config.Settings;

/**
 * How a worker parks and replays work whose dependency failed. Each figure is set by {@code <worker>.park.*} and
 * {@code <worker>.replay.*}, for example {@code BW_QA_PARK_LIMIT} or {@code BW_QA_REPLAY_RATE_PER_SECOND}.
 *
 * @param limit {@code park.limit}: failed attempts a piece of work may have; the next failure dead-letters it.
 *     Work parked because its breaker was open (no attempt made) does not count.
 * @param backoff {@code park.backoff.seconds}: how long after its first failed attempt work is tried again,
 *     doubled with each further failure
 * @param maxBackoff {@code park.max.backoff.seconds}: the longest such wait
 * @param replayRatePerSecond {@code replay.rate.per.second}: the most parked records replayed per second, so a
 *     recovering dependency is not knocked over by the backlog; {@code unlimited} (infinite) where something else
 *     paces the replay (the QA worker's adaptive limit of LLM calls)
 */
public record ParkSettings(int limit, Duration backoff, Duration maxBackoff, double replayRatePerSecond) {

    public static final int DEFAULT_LIMIT = 5;
    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);
    public static final double DEFAULT_REPLAY_RATE_PER_SECOND = 20;

    public ParkSettings {
        if (limit < 0) {
            throw new IllegalArgumentException("park limit must be at least 0 but was " + limit);
        }
        if (backoff.isNegative() || maxBackoff.compareTo(backoff) < 0) {
            throw new IllegalArgumentException("park backoff must be from 0 to maxBackoff (" + maxBackoff
                    + ") but was " + backoff);
        }
        if (!(replayRatePerSecond > 0)) {
            throw new IllegalArgumentException("replay rate must be more than 0 per second but was " + replayRatePerSecond);
        }
    }

    /** The replay rate that means no limit: {@code unlimited}. */
    public static final String UNLIMITED = "unlimited";

    /** The settings under {@code worker.}: {@code qa.park.limit}, {@code qa.replay.rate.per.second}, ... */
    public static ParkSettings from(Settings settings, String worker) {
        return from(settings, worker, DEFAULT_REPLAY_RATE_PER_SECOND);
    }

    /** As {@link #from(Settings, String)}, with a worker's own default replay rate (infinite: none). */
    public static ParkSettings from(Settings settings, String worker, double defaultReplayRate) {
        int limit = settings.integer(worker + ".park.limit", DEFAULT_LIMIT);
        if (limit < 0) {
            throw Settings.invalid(worker + ".park.limit", limit, "0 or more");
        }
        Duration backoff = settings.seconds(worker + ".park.backoff.seconds", DEFAULT_BACKOFF);
        Duration maxBackoff = settings.seconds(worker + ".park.max.backoff.seconds", DEFAULT_MAX_BACKOFF);
        if (maxBackoff.compareTo(backoff) < 0) {
            throw Settings.invalid(worker + ".park.max.backoff.seconds", maxBackoff.toMillis() / 1000.0,
                    "at least " + worker + ".park.backoff.seconds (" + backoff.toMillis() / 1000.0 + ")");
        }
        String rateKey = worker + ".replay.rate.per.second";
        double rate;
        try {
            String text = settings.string(rateKey, Double.toString(defaultReplayRate)).trim();
            rate = text.equalsIgnoreCase(UNLIMITED) ? Double.POSITIVE_INFINITY : Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw Settings.invalid(rateKey, settings.string(rateKey, ""), "a number of records per second, or "
                    + UNLIMITED);
        }
        if (!(rate > 0)) {
            throw Settings.invalid(rateKey, rate, "more than 0");
        }
        return new ParkSettings(limit, backoff, maxBackoff, rate);
    }

    /** The replay rate for people: {@code 20/s}, or {@code unlimited}. */
    public String replayRateDescription() {
        return Double.isInfinite(replayRatePerSecond) ? UNLIMITED + " (paced by the dependency's limit)"
                : "up to " + (replayRatePerSecond == Math.rint(replayRatePerSecond)
                        ? Long.toString((long) replayRatePerSecond) : Double.toString(replayRatePerSecond)) + "/s";
    }

    /** The wait before attempt {@code failedAttempts + 1}: the backoff doubled per failure, at most the maximum. */
    public Duration backoffAfter(int failedAttempts) {
        Duration wait = backoff;
        for (int i = 1; i < failedAttempts && wait.compareTo(maxBackoff) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
    }
}
