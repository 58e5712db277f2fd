package io.breakwater.crawler;

import java.net.http.HttpClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.client.MongoClient;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.BreakerReporter;
import io.breakwater.core.breaker.ClusterBreakerView;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawlUrl;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.park.ParkSettings;
import io.breakwater.core.park.Parking;
import io.breakwater.core.park.RateLimiter;
import io.breakwater.core.park.ReplayAdmission;
import io.breakwater.core.pipeline.Admission;
import io.breakwater.core.pipeline.ExactlyOnceLoop;
import io.breakwater.core.pipeline.LoopSettings;
import io.breakwater.core.store.CrawlStore;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;

/**
 * The crawler worker: consumes {@code crawl.jobs}, fetches each page through its host's breaker, stores it in
 * MongoDB and publishes it to {@code crawl.pages}, exactly once. While a host is down its jobs are parked on
 * {@code crawl.jobs.parked}; a second loop replays them as the host's breaker lets calls through again. The same
 * park-and-replay machinery as the QA worker's, with a breaker per host. Start with {@link #start}, stop with
 * {@link #close}.
 */
public final class CrawlerWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CrawlerWorker.class);

    private final MongoClient mongo;
    private final ClusterBreakerView clusterView;
    private final BreakerReporter reporter;
    private final List<ExactlyOnceLoop<CrawlHandler.Outcome>> loops;
    private final HostBreakers breakers;

    private CrawlerWorker(MongoClient mongo, ClusterBreakerView clusterView, BreakerReporter reporter,
                          List<ExactlyOnceLoop<CrawlHandler.Outcome>> loops, HostBreakers breakers) {
        this.mongo = mongo;
        this.clusterView = clusterView;
        this.reporter = reporter;
        this.loops = loops;
        this.breakers = breakers;
    }

    /**
     * Creates missing topics, connects and starts consuming.
     *
     * @param onFailure called if the worker stops on an error it cannot recover from
     * @throws io.breakwater.core.config.ConfigException if a setting is wrong
     */
    public static CrawlerWorker start(Settings settings, Consumer<Throwable> onFailure) {
        KafkaSettings kafka = KafkaSettings.from(settings);
        MongoSettings mongoSettings = MongoSettings.from(settings);
        Topics topics = Topics.from(settings);
        CrawlerWorkerSettings worker = CrawlerWorkerSettings.from(settings);
        CrawlerSettings crawler = CrawlerSettings.from(settings);
        FleetSettings fleet = FleetSettings.from(settings);
        ParkSettings park = ParkSettings.from(settings, "crawler");
        Clock clock = Clock.systemUTC();
        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-crawler-worker-admin")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        String instance = settings.instanceId();
        ClusterBreakerView clusterView = ClusterBreakerView.start(kafka, topics, List.of(), fleet.catchUp(),
                "breakwater-crawler-breakers-" + instance);
        BreakerReporter reporter = BreakerReporter.start(kafka, topics.breakerEvents(), List.of(),
                fleet.snapshotInterval(), "breakwater-crawler-breaker-reports-" + instance);
        BreakerPolicy.Identity identity = new BreakerPolicy.Identity(instance, clock.instant());
        BreakerPolicy mongoBreaker = new BreakerPolicy(BreakerSettings.from(settings, BreakerSettings.MONGODB), identity,
                fleet.share(), fleet.latencyWindow(), clock);
        clusterView.register(mongoBreaker);
        reporter.add(mongoBreaker);
        HostBreakers breakers = new HostBreakers(settings, crawler, identity,
                fleet, clock, breaker -> {
                    clusterView.register(breaker);
                    reporter.add(breaker);
                });
        HttpClient client = PageFetcher.newClient(crawler);
        PageFetcher fetcher = new PageFetcher(client, AddressGuard.resolvingWithDns(crawler.allowedHosts()),
                new RobotsRules(client, crawler, clock), new HostPacer(), crawler);
        MongoClient mongo = MongoConnections.open(mongoSettings);
        CrawlStore store = new CrawlStore(mongo.getDatabase(mongoSettings.database()));
        Parking parking = new Parking(topics.crawlJobsParked().name(), topics.crawlJobsDeadLetter().name(), park, clock);
        CrawlHandler handler = new CrawlHandler(topics, store, breakers, mongoBreaker, fetcher, parking,
                worker.maxRecordBytes(), clock);
        String dlq = topics.crawlJobsDeadLetter().name();
        LoopSettings jobs = new LoopSettings("crawler", List.of(topics.crawlJobs().name()), dlq, worker.groupId(),
                worker.groupId() + "-" + instance, worker.concurrency(), worker.commitInterval());
        LoopSettings replay = new LoopSettings("crawler-replay", List.of(topics.crawlJobsParked().name()), dlq,
                worker.groupId() + "-replay", worker.groupId() + "-replay-" + instance, worker.concurrency(),
                worker.commitInterval());
        List<ExactlyOnceLoop<CrawlHandler.Outcome>> loops = new ArrayList<>();
        try {
            loops.add(ExactlyOnceLoop.start(jobs, kafka, handler, Admission.upTo(worker.maxInFlight()), onFailure));
            loops.add(ExactlyOnceLoop.start(replay, kafka, handler, ReplayAdmission.perRecord(
                    record -> breakers.existing(hostOf(record.value())), worker.concurrency(),
                    new RateLimiter(park.replayRatePerSecond(), System::nanoTime), clock), onFailure));
            log.info("Crawler worker {} consuming {} as group {}, replaying {}; {}", instance, topics.crawlJobs().name(),
                    worker.groupId(), topics.crawlJobsParked().name(), crawler.allowedHosts().isEmpty()
                            ? "internal addresses refused" : "internal addresses refused except " + crawler.allowedHosts());
            return new CrawlerWorker(mongo, clusterView, reporter, List.copyOf(loops), breakers);
        } catch (RuntimeException e) {
            loops.forEach(ExactlyOnceLoop::close);
            reporter.close();
            clusterView.close();
            mongo.close();
            throw e;
        }
    }

    /** The breaker of {@code host}, if it has been crawled. */
    public BreakerPolicy hostBreaker(String host) {
        return breakers.existing(host);
    }

    public boolean isRunning() {
        return loops.stream().allMatch(ExactlyOnceLoop::isRunning);
    }

    @Override
    public void close() {
        loops.forEach(ExactlyOnceLoop::close);
        reporter.close();
        clusterView.close();
        mongo.close();
    }

    /** The host a parked job is for, or "" if it cannot be read (it is dead-lettered when handled). */
    private static String hostOf(byte[] value) {
        try {
            return CrawlUrl.host(EventJson.decode(value, CrawlJob.class).url());
        } catch (RuntimeException e) {
            return "";
        }
    }
}
