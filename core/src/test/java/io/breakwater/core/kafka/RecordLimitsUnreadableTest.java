package io.breakwater.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import io.breakwater.core.config.KafkaSettings;

/**
 * Review evidence (issue 12): when a topic's max.message.bytes cannot be read (Kafka away for 10 s, at start or at
 * the 10-minute expiry of the cached value), RecordLimits answers the 1 MiB default for 30 s. crawl.pages takes
 * 2 MiB, so a 1.5 MB page is then judged too large and ExactlyOnceLoop.handle dead-letters it with the handler's
 * failed/skipped outcome: an innocent record ended for good because of a transient outage. An unknown limit must
 * not read as "does not fit" (keep the last known value, or make the record retry).
 */
class RecordLimitsUnreadableTest {

    @Test
    void aLimitThatCannotBeReadDoesNotMakeARecordTheTopicTakesCountAsTooLarge() {
        try (RecordLimits limits = RecordLimits.of(new KafkaSettings("127.0.0.1:1",
                Map.of("request.timeout.ms", "500", "default.api.timeout.ms", "2000")), "limits-test")) {
            // crawl.pages takes 2 MiB (the catalogue's setting); this page is 1.5 MB.
            ProducerRecord<byte[], byte[]> page = new ProducerRecord<>("crawl.pages", new byte[10], new byte[1_500_000]);
            Object verdict;
            try {
                verdict = limits.fits(page);
            } catch (RuntimeException unknown) {
                verdict = unknown;
            }
            assertThat(verdict).as("not knowing the limit must not dead-letter the page for good")
                    .isNotEqualTo(Boolean.FALSE);
        }
    }
}
