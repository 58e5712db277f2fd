package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawlStatus;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.CrawlStore;
import io.breakwater.core.topic.Topics;

/** When a fetched page may go unpublished as unchanged, and how a job the loop gives up on ends. */
class CrawlHandlerTest {

    @Test
    void shouldPublishAgainWhenTheStoredHashWasStoredByThisVeryRecordWhoseCommitMayHaveAborted() {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("crawl.jobs", 2, 41L, new byte[0], new byte[0]);
        String lineage = CrawlHandler.lineage(record);

        assertThat(CrawlHandler.unchanged(new CrawlStore.StoredHash("abc", lineage), "abc", lineage)).isFalse();
    }

    @Test
    void shouldPublishAgainFromAParkedCopyOfTheRecordThatStoredTheHash() {
        ConsumerRecord<byte[], byte[]> original = new ConsumerRecord<>("crawl.jobs", 2, 41L, new byte[0], new byte[0]);
        ConsumerRecord<byte[], byte[]> parked = new ConsumerRecord<>("crawl.jobs.parked", 0, 7L, new byte[0], new byte[0]);
        WorkHeaders.setOriginIfAbsent(parked.headers(), "crawl.jobs", 2, 41L);

        assertThat(CrawlHandler.lineage(parked)).isEqualTo(CrawlHandler.lineage(original));
    }

    @Test
    void shouldCallAPageUnchangedOnlyWhenOtherWorkStoredTheSameHash() {
        assertThat(CrawlHandler.unchanged(new CrawlStore.StoredHash("abc", "crawl.jobs-0@1"), "abc", "crawl.jobs-0@9"))
                .isTrue();
        assertThat(CrawlHandler.unchanged(new CrawlStore.StoredHash("abc", "crawl.jobs-0@1"), "def", "crawl.jobs-0@9"))
                .isFalse();
        assertThat(CrawlHandler.unchanged(new CrawlStore.StoredHash("abc", null), "abc", "crawl.jobs-0@9"))
                .as("stored before anyone said by whom: publish once more").isFalse();
        assertThat(CrawlHandler.unchanged(null, "abc", "crawl.jobs-0@9")).isFalse();
    }

    @Test
    void shouldEndAJobTheLoopDeadLettersAsFailedWithTheReason() {
        CrawlHandler handler = new CrawlHandler(Topics.from(Settings.of(Map.of())), null, null, null, null, null,
                1_000_000, Clock.fixed(Instant.parse("2026-12-03T10:00:00Z"), ZoneOffset.UTC));
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("crawl.jobs", 0, 3L, null,
                "{\"url\":\"https://example.com/\",\"depth\":0}".getBytes(StandardCharsets.UTF_8));

        CrawlHandler.Outcome outcome = handler.failed(record, DeadLetters.REASON_OUTPUT_TOO_LARGE,
                new IllegalStateException("the page is 2000000 bytes; crawl.pages takes 1048576"));

        assertThat(outcome.outputs()).isEmpty();
        assertThat(outcome.status()).hasValueSatisfying(status -> {
            assertThat(status.status()).isEqualTo(CrawlStatus.FAILED);
            assertThat(status.reason()).contains(DeadLetters.REASON_OUTPUT_TOO_LARGE, "2000000 bytes", "crawl.jobs.dlq");
        });
        assertThat(handler.failed(new ConsumerRecord<>("crawl.jobs", 0, 4L, null, "not json".getBytes(
                StandardCharsets.UTF_8)), DeadLetters.REASON_HANDLER_ERROR, new RuntimeException("x")))
                .as("no job to end: the dead letter alone").isNull();
    }
}
