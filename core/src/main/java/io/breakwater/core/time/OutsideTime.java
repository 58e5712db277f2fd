package io.breakwater.core.time;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/**
 * Durations and instants that come from outside (a {@code Retry-After}, a {@code Crawl-delay}, a not-before
 * header), read leniently and clamped, and time arithmetic that saturates instead of overflowing. A site or a
 * record can say "wait ten billion seconds"; nothing in the pipeline may then throw {@link ArithmeticException} or
 * wait longer than the maximum its caller documents. Stateless and thread-safe.
 */
public final class OutsideTime {

    /** The longest wait any {@code Retry-After} can ask for; a longer one is read as this. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);
    /** Longer values are not worth parsing: no number of seconds this long is meant. */
    private static final int MAX_TEXT = 64;
    private static final DateTimeFormatter RFC_850 =
            DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss zzz", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(ZoneOffset.UTC);

    private OutsideTime() {
    }

    /** {@code value} within [0, {@code max}]: null and negative read as zero. */
    public static Duration clamp(Duration value, Duration max) {
        if (value == null || value.isNegative()) {
            return Duration.ZERO;
        }
        return value.compareTo(max) > 0 ? max : value;
    }

    /** {@code duration} in nanoseconds, {@link Long#MAX_VALUE} (or MIN) where it would overflow. */
    public static long toNanosSaturated(Duration duration) {
        if (duration.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L) {
            return Long.MAX_VALUE;
        }
        if (duration.getSeconds() <= Long.MIN_VALUE / 1_000_000_000L) {
            return Long.MIN_VALUE;
        }
        return duration.toNanos();
    }

    /** {@code nanoTime + duration}, saturating: for deadlines on {@link System#nanoTime()}'s scale. */
    public static long plusNanosSaturated(long nanoTime, Duration duration) {
        long nanos = toNanosSaturated(duration);
        long sum = nanoTime + nanos;
        // Overflow only when both have the same sign and the sum's sign differs.
        if (((nanoTime ^ sum) & (nanos ^ sum)) < 0) {
            return nanos > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return sum;
    }

    /** {@code instant + duration}, saturating at {@link Instant#MAX} and {@link Instant#MIN}. */
    public static Instant plusSaturated(Instant instant, Duration duration) {
        try {
            return instant.plus(duration);
        } catch (DateTimeException | ArithmeticException e) {
            return duration.isNegative() ? Instant.MIN : Instant.MAX;
        }
    }

    /**
     * A {@code Retry-After} value (RFC 9110: a number of seconds or an HTTP date), read leniently and clamped to
     * [0, {@code max}]. Fractions of seconds are accepted, a number too large for any type reads as {@code max}, a
     * date in the past as zero; the three HTTP date forms are accepted. Anything else is absent.
     */
    public static Optional<Duration> retryAfter(String value, Clock clock, Duration max) {
        if (value == null) {
            return Optional.empty();
        }
        String text = value.strip();
        if (text.isEmpty() || text.length() > MAX_TEXT) {
            return text.length() > MAX_TEXT && text.chars().allMatch(Character::isDigit) ? Optional.of(max)
                    : Optional.empty();
        }
        Optional<Duration> seconds = seconds(text, max);
        if (seconds.isPresent()) {
            return seconds;
        }
        return httpDate(text).map(at -> clamp(Duration.between(clock.instant(), at), max));
    }

    /** {@link #retryAfter} with {@link #MAX_RETRY_AFTER} and the system clock. */
    public static Optional<Duration> retryAfter(String value) {
        return retryAfter(value, Clock.systemUTC(), MAX_RETRY_AFTER);
    }

    /** A number of seconds, fractions allowed, clamped to [0, {@code max}]; absent if {@code text} is no number. */
    public static Optional<Duration> seconds(String text, Duration max) {
        if (text == null || text.isBlank() || text.strip().length() > MAX_TEXT) {
            return Optional.empty();
        }
        BigDecimal number;
        try {
            number = new BigDecimal(text.strip());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (number.signum() <= 0) {
            return Optional.of(Duration.ZERO);
        }
        if (number.compareTo(BigDecimal.valueOf(max.getSeconds() + 1)) >= 0) {
            return Optional.of(max);
        }
        if (number.compareTo(ONE_MILLISECOND) < 0) {
            // Before any rounding: rounding 1e-99999999 up would build a number of a hundred million digits.
            return Optional.of(Duration.ofMillis(1));
        }
        long millis = number.movePointRight(3).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
        return Optional.of(clamp(Duration.ofMillis(millis), max));
    }

    private static final BigDecimal ONE_MILLISECOND = new BigDecimal("0.001");

    private static Optional<Instant> httpDate(String text) {
        for (DateTimeFormatter format : new DateTimeFormatter[] {DateTimeFormatter.RFC_1123_DATE_TIME, RFC_850, ASCTIME}) {
            try {
                return Optional.of(ZonedDateTime.parse(text, format).toInstant());
            } catch (DateTimeParseException e) {
                // try the next form
            }
        }
        return Optional.empty();
    }
}
