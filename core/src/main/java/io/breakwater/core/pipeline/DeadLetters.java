package io.breakwater.core.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Dead-letter records: the original key, value and headers, as they came, plus why and where from in headers.
 * Every worker dead-letters through here, so operators read one format.
 */
public final class DeadLetters {

    /** A short code for why: {@code malformed}, {@code too-large}, {@code handler-error}, ... */
    public static final String REASON = "bw.reason";
    public static final String ERROR_CLASS = "bw.error.class";
    public static final String ERROR_MESSAGE = "bw.error.message";
    public static final String ORIGIN_TOPIC = "bw.origin.topic";
    public static final String ORIGIN_PARTITION = "bw.origin.partition";
    public static final String ORIGIN_OFFSET = "bw.origin.offset";
    public static final String DEAD_LETTERED_AT = "bw.dead-lettered-at";

    public static final String REASON_MALFORMED = "malformed";
    public static final String REASON_TOO_LARGE = "too-large";
    public static final String REASON_HANDLER_ERROR = "handler-error";

    private static final int MAX_MESSAGE_CHARS = 2000;

    private DeadLetters() {
    }

    /** {@code record} bound for {@code topic}, with {@code reason} and {@code error}'s class and message in headers. */
    public static ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> record, String topic,
                                                    String reason, Throwable error) {
        return of(record, topic, reason, error.getClass().getName(), String.valueOf(error.getMessage()));
    }

    public static ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> record, String topic,
                                                    String reason, String errorClass, String errorMessage) {
        Headers headers = new RecordHeaders();
        for (Header header : record.headers()) {
            headers.add(header);
        }
        put(headers, REASON, reason);
        put(headers, ERROR_CLASS, errorClass);
        put(headers, ERROR_MESSAGE, errorMessage.length() > MAX_MESSAGE_CHARS
                ? errorMessage.substring(0, MAX_MESSAGE_CHARS) + "..." : errorMessage);
        put(headers, ORIGIN_TOPIC, record.topic());
        put(headers, ORIGIN_PARTITION, Integer.toString(record.partition()));
        put(headers, ORIGIN_OFFSET, Long.toString(record.offset()));
        put(headers, DEAD_LETTERED_AT, Instant.now().toString());
        return new ProducerRecord<>(topic, null, record.key(), record.value(), headers);
    }

    /** The text of header {@code name}, or null. */
    public static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
