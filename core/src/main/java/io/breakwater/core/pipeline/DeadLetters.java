package io.breakwater.core.pipeline;

import java.time.Instant;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * Dead-letter records: the original key, value and headers, as they came, plus why and where from in
 * {@link WorkHeaders}. Every worker dead-letters through here, so operators read one format.
 */
public final class DeadLetters {

    public static final String REASON_MALFORMED = "malformed";
    public static final String REASON_TOO_LARGE = "too-large";
    public static final String REASON_HANDLER_ERROR = "handler-error";
    /** Parked too often: its dependency failed it more times than the park limit allows. */
    public static final String REASON_PARK_LIMIT = "park-limit";
    /** What handling it produced does not fit the topic it is for (an answer, a page, a park record). */
    public static final String REASON_OUTPUT_TOO_LARGE = "output-too-large";
    /** Its outputs made the transaction fail, alone and again: Kafka refuses them, whatever the cause. */
    public static final String REASON_COMMIT_FAILED = "commit-failed";
    /** On a dead letter whose value was left out to make it fit its topic: the value's size in bytes. */
    public static final String VALUE_DROPPED = "bw.value.dropped";
    /** An error message longer than this is cut: it is for an operator's eyes, and must not make the letter too large. */
    static final int MAX_ERROR_MESSAGE_CHARS = 2000;

    private DeadLetters() {
    }

    /** {@code record} bound for {@code topic}, with {@code reason} and {@code error}'s class and message in headers. */
    public static ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> record, String topic,
                                                    String reason, Throwable error) {
        return of(record, topic, reason, error.getClass().getName(), String.valueOf(error.getMessage()));
    }

    public static ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> record, String topic,
                                                    String reason, String errorClass, String errorMessage) {
        Headers headers = WorkHeaders.copy(record.headers(), true);
        WorkHeaders.set(headers, WorkHeaders.REASON, reason);
        WorkHeaders.set(headers, WorkHeaders.ERROR_CLASS, cut(errorClass, 200));
        WorkHeaders.set(headers, WorkHeaders.ERROR_MESSAGE, cut(errorMessage, MAX_ERROR_MESSAGE_CHARS));
        WorkHeaders.setOriginIfAbsent(headers, record.topic(), record.partition(), record.offset());
        WorkHeaders.set(headers, WorkHeaders.DEAD_LETTERED_AT, Instant.now().toString());
        return new ProducerRecord<>(topic, null, record.key(), record.value(), headers);
    }

    /**
     * {@code letter} as it is if it fits its topic; otherwise without its value (the original is still at its
     * origin offset until that topic's retention ends), with {@value #VALUE_DROPPED} saying how large it was.
     */
    public static ProducerRecord<byte[], byte[]> fitting(ProducerRecord<byte[], byte[]> letter,
                                                         io.breakwater.core.kafka.RecordLimits limits) {
        if (limits.fits(letter)) {
            return letter;
        }
        ProducerRecord<byte[], byte[]> withoutValue = withoutValue(letter);
        return limits.fits(withoutValue) ? withoutValue : bare(letter);
    }

    /**
     * The least a dead letter can be: the key cut to a readable length, no value, and of the headers only the
     * pipeline's own (why, where from, when): what remains when the producer's own headers are too large to keep.
     */
    public static ProducerRecord<byte[], byte[]> bare(ProducerRecord<byte[], byte[]> letter) {
        ProducerRecord<byte[], byte[]> withoutValue = withoutValue(letter);
        Headers headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        for (org.apache.kafka.common.header.Header header : withoutValue.headers()) {
            if (header.key().startsWith("bw.") && (header.value() == null || header.value().length <= 4096)) {
                headers.add(header.key(), header.value());
            }
        }
        return new ProducerRecord<>(letter.topic(), null, withoutValue.key(), null, headers);
    }

    /**
     * An error's message, cut to 500 characters, for a failed outcome's reason: the outcome must stay small whatever
     * the error says (an error may quote the record that caused it).
     */
    public static String summary(Throwable error) {
        return cut(String.valueOf(error == null ? null : error.getMessage()), 500);
    }

    private static String cut(String text, int chars) {
        return text == null || text.length() <= chars ? text : text.substring(0, chars) + "...";
    }

    /** {@code letter} without its value, and with its key cut to a readable length. */
    public static ProducerRecord<byte[], byte[]> withoutValue(ProducerRecord<byte[], byte[]> letter) {
        Headers headers = WorkHeaders.copy(letter.headers(), true);
        WorkHeaders.set(headers, VALUE_DROPPED, Integer.toString(letter.value() == null ? 0 : letter.value().length));
        byte[] key = letter.key();
        if (key != null && key.length > 1024) {
            key = java.util.Arrays.copyOf(key, 1024);
        }
        return new ProducerRecord<>(letter.topic(), null, key, null, headers);
    }
}
