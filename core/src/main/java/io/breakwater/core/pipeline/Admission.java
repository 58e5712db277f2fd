package io.breakwater.core.pipeline;

import java.time.Duration;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decides when an {@link ExactlyOnceLoop} may hand fetched records to its handler: how many at once, and whether a
 * partition's next record must wait. The replay of parked work uses it to follow its breaker, honour each record's
 * not-before time and bound its rate. Called on the loop's thread only.
 */
public interface Admission {

    /** Records may always be handled, up to {@code capacity} at once. */
    static Admission upTo(int capacity) {
        return new Admission() {
            @Override
            public int capacity() {
                return capacity;
            }

            @Override
            public Duration holdFor(ConsumerRecord<byte[], byte[]> record) {
                return Duration.ZERO;
            }
        };
    }

    /** How many records may be in hand (handled, or waiting for their commit) right now; 0 stops handling. */
    int capacity();

    /**
     * Zero if {@code record} may be handled now (and, for a rate limit, counts it as handled); otherwise how long
     * its partition must wait before its next record is offered again. Records behind it in the partition wait too,
     * so each partition is handled oldest first.
     */
    Duration holdFor(ConsumerRecord<byte[], byte[]> record);

    /**
     * Whether {@code record} has a wait of its own (its not-before, its own breaker), apart from any rate or
     * capacity: used to tell whether the records behind a held one could go on without it. Counts nothing.
     */
    default boolean mustWait(ConsumerRecord<byte[], byte[]> record) {
        return false;
    }
}
