package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.CrawlStore;

/** When a fetched page may go unpublished as unchanged. */
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
}
