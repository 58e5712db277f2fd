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
        WorkHeaders.set(headers, WorkHeaders.ERROR_CLASS, errorClass);
        WorkHeaders.set(headers, WorkHeaders.ERROR_MESSAGE, errorMessage);
        WorkHeaders.setOriginIfAbsent(headers, record.topic(), record.partition(), record.offset());
        WorkHeaders.set(headers, WorkHeaders.DEAD_LETTERED_AT, Instant.now().toString());
        return new ProducerRecord<>(topic, null, record.key(), record.value(), headers);
    }
}
