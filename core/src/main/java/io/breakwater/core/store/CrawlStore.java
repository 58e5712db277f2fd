package io.breakwater.core.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;

import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawlStatus;
import io.breakwater.core.crawl.CrawledPage;

/**
 * Crawl jobs' status in MongoDB's {@value #JOBS} collection (one document per job id) and crawled pages in
 * {@value #PAGES} (one per normalized URL, with a content hash so an unchanged page is not written again). Writes
 * are upserts, so writing the same outcome twice leaves one document. Thread-safe.
 */
public final class CrawlStore {

    public static final String JOBS = "crawl_jobs";
    public static final String PAGES = "pages";

    private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);

    /**
     * How a crawl job stands or ended.
     *
     * @param reason why it was skipped, failed or parked, for people
     * @param skipReason {@code robots}, {@code size} or {@code type}, when skipped
     * @param finalUrl where the page was found, after redirects, when fetched
     * @param title the page's title, when fetched
     * @param unchanged whether a fetched page was the same as stored
     * @param parkCount failed attempts so far, when parked
     * @param nextAttemptAt not tried again before then, when parked
     */
    public record Outcome(CrawlJob job, CrawlStatus status, String reason, String skipReason, String finalUrl,
                          String title, boolean unchanged, int parkCount, Instant nextAttemptAt, Instant at) {
    }

    /** A crawl job as stored: {@link Outcome}'s fields, with when it was requested and last updated. */
    public record JobRecord(String id, String url, int depth, CrawlStatus status, String reason, String skipReason,
                            String finalUrl, String title, Integer parkCount, Instant nextAttemptAt,
                            Instant requestedAt, Instant updatedAt) {
    }

    private final MongoCollection<Document> jobs;
    private final MongoCollection<Document> pages;

    public CrawlStore(MongoDatabase database) {
        this.jobs = database.getCollection(JOBS);
        this.pages = database.getCollection(PAGES);
    }

    /** Records a job as queued, unless a worker already got further with it. */
    public void recordQueued(CrawlJob job, Instant at) {
        jobs.updateOne(Filters.eq("_id", job.id()), Updates.combine(
                Updates.setOnInsert("status", CrawlStatus.QUEUED.json()),
                Updates.setOnInsert("url", job.url()),
                Updates.setOnInsert("depth", job.depth()),
                Updates.setOnInsert("requestedAt", date(job.requestedAt() == null ? at : job.requestedAt())),
                Updates.setOnInsert("updatedAt", date(at))), UPSERT);
    }

    /** Records how jobs stand, in one round trip. A job already fetched is not set back to parked by a replay. */
    public void recordOutcomes(Collection<Outcome> outcomes) {
        if (outcomes.isEmpty()) {
            return;
        }
        List<UpdateOneModel<Document>> writes = new ArrayList<>(outcomes.size());
        for (Outcome outcome : outcomes) {
            List<Bson> set = new ArrayList<>(List.of(
                    Updates.set("status", outcome.status().json()),
                    Updates.set("url", outcome.job().url()),
                    Updates.set("depth", outcome.job().depth()),
                    Updates.setOnInsert("requestedAt", date(outcome.job().requestedAt() == null ? outcome.at()
                            : outcome.job().requestedAt())),
                    Updates.set("updatedAt", date(outcome.at())),
                    outcome.reason() == null ? Updates.unset("reason") : Updates.set("reason", outcome.reason()),
                    outcome.skipReason() == null ? Updates.unset("skipReason") : Updates.set("skipReason", outcome.skipReason())));
            if (outcome.status() == CrawlStatus.PARKED) {
                set.add(Updates.set("parkCount", outcome.parkCount()));
                set.add(outcome.nextAttemptAt() == null ? Updates.unset("nextAttemptAt")
                        : Updates.set("nextAttemptAt", date(outcome.nextAttemptAt())));
            } else {
                set.add(Updates.unset("parkCount"));
                set.add(Updates.unset("nextAttemptAt"));
            }
            if (outcome.finalUrl() != null) {
                set.add(Updates.set("finalUrl", outcome.finalUrl()));
                set.add(Updates.set("title", outcome.title()));
            }
            if (outcome.status() == CrawlStatus.PARKED) {
                // Create it if a producer sent the job straight to Kafka; never set a fetched page back to parked.
                writes.add(new UpdateOneModel<>(Filters.eq("_id", outcome.job().id()),
                        Updates.setOnInsert("status", CrawlStatus.PARKED.json()), UPSERT));
                writes.add(new UpdateOneModel<>(Filters.and(Filters.eq("_id", outcome.job().id()),
                        Filters.ne("status", CrawlStatus.FETCHED.json())), Updates.combine(set)));
            } else {
                writes.add(new UpdateOneModel<>(Filters.eq("_id", outcome.job().id()), Updates.combine(set), UPSERT));
            }
        }
        jobs.bulkWrite(writes);
    }

    public Optional<JobRecord> findJob(String id) {
        Document doc = jobs.find(Filters.eq("_id", id)).first();
        if (doc == null) {
            return Optional.empty();
        }
        return Optional.of(new JobRecord(doc.getString("_id"), doc.getString("url"), doc.getInteger("depth", 0),
                CrawlStatus.of(doc.getString("status")), doc.getString("reason"), doc.getString("skipReason"),
                doc.getString("finalUrl"), doc.getString("title"), doc.getInteger("parkCount"),
                instant(doc.getDate("nextAttemptAt")), instant(doc.getDate("requestedAt")),
                instant(doc.getDate("updatedAt"))));
    }

    /** The content hashes of the pages stored under {@code urls}: to tell an unchanged page. */
    public Map<String, String> contentHashes(Collection<String> urls) {
        Map<String, String> hashes = new HashMap<>();
        if (urls.isEmpty()) {
            return hashes;
        }
        pages.find(Filters.in("_id", urls)).projection(new Document("contentHash", 1))
                .forEach(doc -> hashes.put(doc.getString("_id"), doc.getString("contentHash")));
        return hashes;
    }

    /**
     * A page's stored hash and the work that stored it.
     *
     * @param publishedBy which work stored it (a crawl job record's lineage, say {@code topic-partition@offset}),
     *     or null
     */
    public record StoredHash(String contentHash, String publishedBy) {
    }

    /**
     * A page to store, and the work that publishes it: a later crawl may take the page as unchanged only if that
     * work is not itself being handled again (its transaction may have aborted after this store).
     */
    public record PublishedPage(CrawledPage page, String publishedBy) {
    }

    /** The stored hashes of the pages under {@code urls}, with the work that stored them. */
    public Map<String, StoredHash> storedHashes(Collection<String> urls) {
        Map<String, StoredHash> hashes = new HashMap<>();
        if (urls.isEmpty()) {
            return hashes;
        }
        pages.find(Filters.in("_id", urls)).projection(new Document("contentHash", 1).append("publishedBy", 1))
                .forEach(doc -> hashes.put(doc.getString("_id"),
                        new StoredHash(doc.getString("contentHash"), doc.getString("publishedBy"))));
        return hashes;
    }

    /** Stores pages, in one round trip: upserts by URL. */
    public void storePages(Collection<CrawledPage> crawled) {
        storePublished(crawled.stream().map(page -> new PublishedPage(page, null)).toList());
    }

    /** Stores pages with the work that publishes them, in one round trip: upserts by URL. */
    public void storePublished(Collection<PublishedPage> crawled) {
        if (crawled.isEmpty()) {
            return;
        }
        List<UpdateOneModel<Document>> writes = new ArrayList<>(crawled.size());
        for (PublishedPage published : crawled) {
            CrawledPage page = published.page();
            writes.add(new UpdateOneModel<>(Filters.eq("_id", page.url()), Updates.combine(
                    Updates.set("title", page.title()),
                    Updates.set("text", page.text()),
                    Updates.set("contentHash", page.contentHash()),
                    Updates.set("publishedBy", published.publishedBy()),
                    Updates.set("fetchedAt", date(page.fetchedAt()))), UPSERT));
        }
        pages.bulkWrite(writes);
    }

    public Optional<CrawledPage> findPage(String url) {
        Document doc = pages.find(Filters.eq("_id", url)).first();
        return doc == null ? Optional.empty() : Optional.of(new CrawledPage(CrawledPage.SCHEMA_VERSION,
                doc.getString("_id"), doc.getString("title"), doc.getString("text"), doc.getString("contentHash"),
                instant(doc.getDate("fetchedAt"))));
    }

    private static Date date(Instant instant) {
        return instant == null ? null : Date.from(instant);
    }

    private static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }
}
