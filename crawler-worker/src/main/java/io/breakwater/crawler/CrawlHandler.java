package io.breakwater.crawler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawlStatus;
import io.breakwater.core.crawl.CrawlUrl;
import io.breakwater.core.crawl.CrawledPage;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.MalformedEventException;
import io.breakwater.core.park.Parking;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.RecordHandler;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.CrawlStore;
import io.breakwater.core.time.OutsideTime;
import io.breakwater.core.topic.Topics;

/**
 * Turns one crawl job record, fresh or replayed from the parked topic, into its outcome: the page fetched through
 * its host's breaker, extracted, and published to {@code crawl.pages} (unless unchanged), with same-host links as
 * new jobs while depth remains; skipped or failed with the reason; parked while its host is down (past the park
 * limit: dead-lettered and failed); or, for a record that is not a crawl job, a dead letter. Thread-safe.
 */
final class CrawlHandler implements RecordHandler<CrawlHandler.Outcome> {

    /** Links followed from one page, at most: a deep crawl stays bounded. */
    static final int MAX_FOLLOWED_LINKS = 20;
    /**
     * The furthest ahead the crawler ever sets a job's not-before: whatever a site's Retry-After, breaker or
     * Crawl-delay says, a parked job is tried again within an hour.
     */
    static final Duration MAX_NOT_BEFORE = OutsideTime.MAX_RETRY_AFTER;

    private static final Logger log = LoggerFactory.getLogger(CrawlHandler.class);

    /**
     * @param status how the job stands, when the record was a readable job
     * @param page the page to store, when fetched and changed, with the lineage of the record publishing it
     */
    record Outcome(Optional<CrawlStore.Outcome> status, Optional<CrawlStore.PublishedPage> page,
                   List<ProducerRecord<byte[], byte[]>> outputs) {
    }

    private final Topics topics;
    private final CrawlStore store;
    private final HostBreakers breakers;
    private final BreakerPolicy mongoBreaker;
    private final PageFetcher fetcher;
    private final Parking parking;
    private final int maxRecordBytes;
    private final Clock clock;

    CrawlHandler(Topics topics, CrawlStore store, HostBreakers breakers, BreakerPolicy mongoBreaker, PageFetcher fetcher,
                 Parking parking, int maxRecordBytes, Clock clock) {
        this.topics = topics;
        this.store = store;
        this.breakers = breakers;
        this.mongoBreaker = mongoBreaker;
        this.fetcher = fetcher;
        this.parking = parking;
        this.maxRecordBytes = maxRecordBytes;
        this.clock = clock;
    }

    @Override
    public Outcome handle(ConsumerRecord<byte[], byte[]> record) throws InterruptedException {
        if (record.value() != null && record.value().length > maxRecordBytes) {
            return deadLetter(record, DeadLetters.REASON_TOO_LARGE, new MalformedEventException(
                    "the value is " + record.value().length + " bytes; the limit is " + maxRecordBytes));
        }
        CrawlJob job;
        try {
            job = EventJson.decode(record.value(), CrawlJob.class);
        } catch (MalformedEventException e) {
            return deadLetter(record, DeadLetters.REASON_MALFORMED, e);
        }
        BreakerPolicy breaker = breakers.forHost(CrawlUrl.host(job.url()));
        // The politeness wait is not the host's fault: it happens before, never inside, its breaker's timeout.
        PageFetcher.Turn turn = fetcher.awaitTurn(job.url());
        if (turn.later().isPresent()) {
            return deferred(record, job, breaker, turn.later().get());
        }
        FetchResult result;
        try {
            result = breaker.call(() -> fetcher.fetch(job.url(), turn.gap()));
        } catch (BreakerOpenException | DependencyUnavailableException e) {
            return park(record, job, Parking.Failure.of(breaker, e));
        }
        if (result instanceof FetchResult.Deferred deferred) {
            return deferred(record, job, breaker, deferred.until());
        }
        if (result instanceof FetchResult.Fetched fetched) {
            try {
                return fetched(record, job, fetched);
            } catch (BreakerOpenException | DependencyUnavailableException e) {
                return park(record, job, Parking.Failure.notTheWorksFault(mongoBreaker, e));
            }
        }
        if (result instanceof FetchResult.Skipped skipped) {
            return ended(job, CrawlStatus.SKIPPED, skipped.detail(), skipped.reason());
        }
        return ended(job, CrawlStatus.FAILED, ((FetchResult.Failed) result).reason(), null);
    }

    /** Parks a job until its host's next turn: waiting one's turn is neither the site's fault nor a failed attempt. */
    private Outcome deferred(ConsumerRecord<byte[], byte[]> record, CrawlJob job, BreakerPolicy breaker, Duration wait) {
        return park(record, job, new Parking.Failure(breaker.name(), false, new PolitenessDeferral(
                CrawlUrl.host(job.url()) + "'s next turn is in " + wait.toMillis() + " ms (politeness or its"
                        + " Crawl-delay)"), wait));
    }

    /**
     * A job the loop dead-letters instead of finishing (the handler threw, its page or links do not fit their topic,
     * or its outputs failed the transaction twice) ends {@code failed} with the reason, so that it does not show
     * {@code queued} for good; its dead letter keeps the record for an operator.
     */
    @Override
    public Outcome failed(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
        if (record.value() == null || record.value().length > maxRecordBytes) {
            return null;
        }
        CrawlJob job;
        try {
            job = EventJson.decode(record.value(), CrawlJob.class);
        } catch (RuntimeException e) {
            // Not a readable job (MalformedEventException among others): nothing to end but the dead letter.
            return null;
        }
        return ended(job, CrawlStatus.FAILED, "the job could not be finished (" + reason + ": "
                + DeadLetters.summary(error) + "); it was set aside on " + topics.crawlJobsDeadLetter().name()
                + " for an operator", null);
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> outputs(Outcome outcome) {
        return outcome.outputs();
    }

    @Override
    public void beforeCommit(List<Outcome> outcomes) {
        List<CrawlStore.PublishedPage> pages = outcomes.stream().flatMap(outcome -> outcome.page().stream()).toList();
        List<CrawlStore.Outcome> statuses = outcomes.stream().flatMap(outcome -> outcome.status().stream()).toList();
        List<CrawlStore.Outcome> parked = statuses.stream().filter(status -> status.status() == CrawlStatus.PARKED).toList();
        List<CrawlStore.Outcome> ended = statuses.stream().filter(status -> status.status() != CrawlStatus.PARKED).toList();
        if (!pages.isEmpty() || !ended.isEmpty()) {
            // Must hold before the commit: if MongoDB cannot take them, the batch is handled again later.
            mongoBreaker.call(() -> {
                store.storePublished(pages);
                store.recordOutcomes(ended);
                return null;
            });
        }
        if (!parked.isEmpty()) {
            try {
                mongoBreaker.call(() -> {
                    store.recordOutcomes(parked);
                    return null;
                });
            } catch (BreakerOpenException | DependencyUnavailableException e) {
                // Best effort: the park record on Kafka is what counts; the status shows once MongoDB is back.
                log.warn("{} parked crawl job(s) not recorded as parked: {}", parked.size(), e.getMessage());
            }
        }
    }

    private Outcome fetched(ConsumerRecord<byte[], byte[]> record, CrawlJob job, FetchResult.Fetched fetched) {
        PageExtractor.ExtractedPage extracted = PageExtractor.extract(fetched);
        CrawledPage page = CrawledPage.of(fetched.finalUrl(), extracted.title(), extracted.text(), clock.instant());
        String lineage = lineage(record);
        boolean unchanged = unchanged(mongoBreaker.call(() -> store.storedHashes(List.of(page.url()))).get(page.url()),
                page.contentHash(), lineage);
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        if (!unchanged) {
            outputs.add(topics.crawlPages().serialized(page.url(), page));
        }
        if (job.depth() > 0) {
            Map<String, CrawlJob> next = new LinkedHashMap<>();
            for (String link : extracted.links()) {
                if (!link.equals(job.url()) && !link.equals(page.url()) && next.size() < MAX_FOLLOWED_LINKS) {
                    next.put(link, new CrawlJob(link, job.depth() - 1, clock.instant()));
                }
            }
            next.values().forEach(child -> outputs.add(topics.crawlJobs().serialized(child.url(), child)));
        }
        log.debug("Fetched {} ({}{})", job.url(), page.title(), unchanged ? ", unchanged" : "");
        String reason = unchanged ? "unchanged since the last crawl" : extracted.truncated() ? "the text was cut to its"
                + " first " + PageExtractor.MAX_TEXT_BYTES + " bytes (" + PageExtractor.MAX_TEXT_CHARS + " characters at"
                + " most), so that the page fits " + topics.crawlPages().name() : null;
        CrawlStore.Outcome status = new CrawlStore.Outcome(job, CrawlStatus.FETCHED, reason, null, page.url(),
                page.title(), unchanged, 0, null, clock.instant());
        return new Outcome(Optional.of(status), unchanged ? Optional.empty()
                : Optional.of(new CrawlStore.PublishedPage(page, lineage)), outputs);
    }

    /**
     * Whether a page can go unpublished as unchanged: only if the stored hash is its own and was stored by other
     * work than this record's. The hash is stored just before the transaction that publishes the page commits; if
     * that commit aborted, the same record (or its parked copy, same lineage) is handled again and must publish.
     */
    static boolean unchanged(CrawlStore.StoredHash stored, String contentHash, String lineage) {
        return stored != null && contentHash.equals(stored.contentHash()) && stored.publishedBy() != null
                && !stored.publishedBy().equals(lineage);
    }

    /** Where a job record first arrived: its origin, for a parked copy; itself, for a fresh one. */
    static String lineage(ConsumerRecord<byte[], byte[]> record) {
        String topic = WorkHeaders.text(record.headers(), WorkHeaders.ORIGIN_TOPIC);
        String partition = WorkHeaders.text(record.headers(), WorkHeaders.ORIGIN_PARTITION);
        String offset = WorkHeaders.text(record.headers(), WorkHeaders.ORIGIN_OFFSET);
        return topic != null && partition != null && offset != null ? topic + "-" + partition + "@" + offset
                : record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    private Outcome ended(CrawlJob job, CrawlStatus status, String reason, String skipReason) {
        log.info("Crawl of {} {}: {}", job.url(), status.json(), reason);
        return new Outcome(Optional.of(new CrawlStore.Outcome(job, status, reason, skipReason, null, null, false, 0,
                null, clock.instant())), Optional.empty(), List.of());
    }

    private Outcome park(ConsumerRecord<byte[], byte[]> record, CrawlJob job, Parking.Failure unbounded) {
        Parking.Failure failure = new Parking.Failure(unbounded.breaker(), unbounded.attempted(), unbounded.error(),
                OutsideTime.clamp(unbounded.delay(), MAX_NOT_BEFORE));
        Parking.Decision decision = parking.decide(record, failure);
        if (decision.deadLettered()) {
            String reason = job.url() + " could not be fetched in " + decision.failedAttempts() + " attempts, so the job"
                    + " was set aside on " + decision.record().topic() + " for an operator to re-drive. Last error: "
                    + failure.error().getMessage();
            return new Outcome(Optional.of(new CrawlStore.Outcome(job, CrawlStatus.FAILED, reason, null, null, null,
                    false, 0, null, clock.instant())), Optional.empty(), List.of(decision.record()));
        }
        Instant latest = OutsideTime.plusSaturated(clock.instant(), MAX_NOT_BEFORE);
        Instant notBefore = decision.notBefore();
        if (notBefore != null && notBefore.isAfter(latest)) {
            // A park backoff configured beyond the maximum: the crawler's own bound still holds.
            notBefore = latest;
            WorkHeaders.set(decision.record().headers(), WorkHeaders.NOT_BEFORE, notBefore.toString());
        }
        String reason = failure.error() instanceof PolitenessDeferral
                ? "the site asks for a gap between requests (politeness or its Crawl-delay) and its next turn is "
                        + failure.delay().toMillis() + " ms away: the job waits parked instead of holding a worker"
                : failure.breaker().equals(mongoBreaker.name())
                ? "the page store (MongoDB) is unavailable; it will be retried when it recovers"
                : failure.attempted()
                ? "the site could not be fetched just now (" + failure.error().getMessage() + "); it will be retried"
                : "the site's breaker (" + failure.breaker() + ") is open after repeated failures; it will be retried"
                        + " when it recovers";
        return new Outcome(Optional.of(new CrawlStore.Outcome(job, CrawlStatus.PARKED, reason, null, null, null, false,
                decision.failedAttempts(), notBefore, clock.instant())), Optional.empty(),
                List.of(decision.record()));
    }

    private Outcome deadLetter(ConsumerRecord<byte[], byte[]> record, String reason, MalformedEventException error) {
        log.warn("Dead-lettering {}-{}@{} to {}: {}", record.topic(), record.partition(), record.offset(),
                topics.crawlJobsDeadLetter().name(), error.getMessage());
        return new Outcome(Optional.empty(), Optional.empty(),
                List.of(DeadLetters.of(record, topics.crawlJobsDeadLetter().name(), reason, error)));
    }
}
