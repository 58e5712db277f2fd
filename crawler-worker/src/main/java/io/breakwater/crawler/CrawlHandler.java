package io.breakwater.crawler;

import java.time.Clock;
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
import io.breakwater.core.store.CrawlStore;
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

    private static final Logger log = LoggerFactory.getLogger(CrawlHandler.class);

    /**
     * @param status how the job stands, when the record was a readable job
     * @param page the page to store, when fetched and changed
     */
    record Outcome(Optional<CrawlStore.Outcome> status, Optional<CrawledPage> page,
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
    public Outcome handle(ConsumerRecord<byte[], byte[]> record) {
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
        FetchResult result;
        try {
            result = breaker.call(() -> fetcher.fetch(job.url()));
        } catch (BreakerOpenException | DependencyUnavailableException e) {
            return park(record, job, Parking.Failure.of(breaker, e));
        }
        if (result instanceof FetchResult.Fetched fetched) {
            try {
                return fetched(job, fetched);
            } catch (BreakerOpenException | DependencyUnavailableException e) {
                return park(record, job, Parking.Failure.notTheWorksFault(mongoBreaker, e));
            }
        }
        if (result instanceof FetchResult.Skipped skipped) {
            return ended(job, CrawlStatus.SKIPPED, skipped.detail(), skipped.reason());
        }
        return ended(job, CrawlStatus.FAILED, ((FetchResult.Failed) result).reason(), null);
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> outputs(Outcome outcome) {
        return outcome.outputs();
    }

    @Override
    public void beforeCommit(List<Outcome> outcomes) {
        List<CrawledPage> pages = outcomes.stream().flatMap(outcome -> outcome.page().stream()).toList();
        List<CrawlStore.Outcome> statuses = outcomes.stream().flatMap(outcome -> outcome.status().stream()).toList();
        List<CrawlStore.Outcome> parked = statuses.stream().filter(status -> status.status() == CrawlStatus.PARKED).toList();
        List<CrawlStore.Outcome> ended = statuses.stream().filter(status -> status.status() != CrawlStatus.PARKED).toList();
        if (!pages.isEmpty() || !ended.isEmpty()) {
            // Must hold before the commit: if MongoDB cannot take them, the batch is handled again later.
            mongoBreaker.call(() -> {
                store.storePages(pages);
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

    private Outcome fetched(CrawlJob job, FetchResult.Fetched fetched) {
        PageExtractor.ExtractedPage extracted = PageExtractor.extract(fetched);
        CrawledPage page = CrawledPage.of(fetched.finalUrl(), extracted.title(), extracted.text(), clock.instant());
        boolean unchanged = page.contentHash().equals(
                mongoBreaker.call(() -> store.contentHashes(List.of(page.url()))).get(page.url()));
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
        CrawlStore.Outcome status = new CrawlStore.Outcome(job, CrawlStatus.FETCHED, unchanged ? "unchanged since the"
                + " last crawl" : null, null, page.url(), page.title(), unchanged, 0, null, clock.instant());
        return new Outcome(Optional.of(status), unchanged ? Optional.empty() : Optional.of(page), outputs);
    }

    private Outcome ended(CrawlJob job, CrawlStatus status, String reason, String skipReason) {
        log.info("Crawl of {} {}: {}", job.url(), status.json(), reason);
        return new Outcome(Optional.of(new CrawlStore.Outcome(job, status, reason, skipReason, null, null, false, 0,
                null, clock.instant())), Optional.empty(), List.of());
    }

    private Outcome park(ConsumerRecord<byte[], byte[]> record, CrawlJob job, Parking.Failure failure) {
        Parking.Decision decision = parking.decide(record, failure);
        if (decision.deadLettered()) {
            String reason = job.url() + " could not be fetched in " + decision.failedAttempts() + " attempts, so the job"
                    + " was set aside on " + decision.record().topic() + " for an operator to re-drive. Last error: "
                    + failure.error().getMessage();
            return new Outcome(Optional.of(new CrawlStore.Outcome(job, CrawlStatus.FAILED, reason, null, null, null,
                    false, 0, null, clock.instant())), Optional.empty(), List.of(decision.record()));
        }
        String reason = failure.breaker().equals(mongoBreaker.name())
                ? "the page store (MongoDB) is unavailable; it will be retried when it recovers"
                : failure.attempted()
                ? "the site could not be fetched just now (" + failure.error().getMessage() + "); it will be retried"
                : "the site's breaker (" + failure.breaker() + ") is open after repeated failures; it will be retried"
                        + " when it recovers";
        return new Outcome(Optional.of(new CrawlStore.Outcome(job, CrawlStatus.PARKED, reason, null, null, null, false,
                decision.failedAttempts(), decision.notBefore(), clock.instant())), Optional.empty(),
                List.of(decision.record()));
    }

    private Outcome deadLetter(ConsumerRecord<byte[], byte[]> record, String reason, MalformedEventException error) {
        log.warn("Dead-lettering {}-{}@{} to {}: {}", record.topic(), record.partition(), record.offset(),
                topics.crawlJobsDeadLetter().name(), error.getMessage());
        return new Outcome(Optional.empty(), Optional.empty(),
                List.of(DeadLetters.of(record, topics.crawlJobsDeadLetter().name(), reason, error)));
    }
}
