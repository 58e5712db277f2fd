package io.breakwater.core.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers Breakwater puts on parked and dead-lettered records: why, which breaker, how often, until when, and
 * where the work first came from. Values are UTF-8 text, instants ISO-8601, so any Kafka tool can read them.
 */
public final class WorkHeaders {

    /** A short code for why: {@code breaker-open}, {@code dependency-failed}, {@code malformed}, ... */
    public static final String REASON = "bw.reason";
    /** The breaker whose dependency failed. */
    public static final String BREAKER = "bw.breaker";
    /** How many times the work failed its dependency and was parked. */
    public static final String PARK_COUNT = "bw.park.count";
    public static final String PARKED_AT = "bw.parked-at";
    /** The work must not be tried again before this instant. */
    public static final String NOT_BEFORE = "bw.not-before";
    public static final String ERROR_CLASS = "bw.error.class";
    public static final String ERROR_MESSAGE = "bw.error.message";
    /** Where the work first entered: kept unchanged through every park, so a dead letter can go back there. */
    public static final String ORIGIN_TOPIC = "bw.origin.topic";
    public static final String ORIGIN_PARTITION = "bw.origin.partition";
    public static final String ORIGIN_OFFSET = "bw.origin.offset";
    public static final String DEAD_LETTERED_AT = "bw.dead-lettered-at";
    /** On work put back from a dead-letter topic: {@code topic/partition/offset} of the dead letter. */
    public static final String REPLAYED_FROM = "bw.replayed-from";

    /**
     * Where headers in Breakwater's namespace go when they arrive from a producer: kept for an operator to read,
     * never trusted (a producer could otherwise set a park count, a not-before, or a dead letter's way home).
     */
    public static final String UNTRUSTED_PREFIX = "untrusted.";

    private static final String PREFIX = "bw.";
    private static final int MAX_MESSAGE_CHARS = 2000;

    private WorkHeaders() {
    }

    /** The text of header {@code name}, or null. */
    public static String text(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Header {@code name} as a whole number, or {@code fallback} when absent or unreadable. */
    public static int integer(Headers headers, String name, int fallback) {
        String value = text(headers, name);
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Header {@code name} as an instant, if present and readable. */
    public static Optional<Instant> instant(Headers headers, String name) {
        String value = text(headers, name);
        try {
            return value == null ? Optional.empty() : Optional.of(Instant.parse(value));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Replaces header {@code name}; messages are cut to a readable length. */
    public static void set(Headers headers, String name, String value) {
        String text = value == null ? "" : value;
        if (name.equals(ERROR_MESSAGE) && text.length() > MAX_MESSAGE_CHARS) {
            text = text.substring(0, MAX_MESSAGE_CHARS) + "...";
        }
        headers.remove(name);
        headers.add(name, text.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of {@code headers}, with or without Breakwater's own. */
    public static Headers copy(Headers headers, boolean keepBreakwaterHeaders) {
        Headers copy = new RecordHeaders();
        for (Header header : headers) {
            if (keepBreakwaterHeaders || !header.key().startsWith(PREFIX)) {
                copy.add(header);
            }
        }
        return copy;
    }

    /**
     * Moves every header in Breakwater's namespace aside (renamed with {@value #UNTRUSTED_PREFIX} in front). For
     * records on topics that producers write to; the pipeline's own topics keep their headers. A replay from the dead
     * letters is told by what {@code dlq replay} did to the store, not by its header, which anyone could send.
     *
     * @return how many headers were moved aside
     */
    public static int distrust(Headers headers) {
        List<Header> moved = new ArrayList<>();
        for (Header header : headers) {
            if (header.key().startsWith(PREFIX)) {
                moved.add(header);
            }
        }
        for (Header header : moved) {
            headers.remove(header.key());
        }
        for (Header header : moved) {
            headers.add(UNTRUSTED_PREFIX + header.key(), header.value());
        }
        return moved.size();
    }

    /** Sets the origin to where this record is, unless it already names where the work first came from. */
    public static void setOriginIfAbsent(Headers headers, String topic, int partition, long offset) {
        if (headers.lastHeader(ORIGIN_TOPIC) == null) {
            set(headers, ORIGIN_TOPIC, topic);
            set(headers, ORIGIN_PARTITION, Integer.toString(partition));
            set(headers, ORIGIN_OFFSET, Long.toString(offset));
        }
    }
}
