package io.breakwater.crawler;

import java.net.http.HttpClient;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.client.MongoClient;

import io.breakwater.core.breaker.BreakerFleet;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawlUrl;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.metrics.ProcessMetrics;
import io.breakwater.core.park.ParkSettings;
import io.breakwater.core.park.Parking;
import io.breakwater.core.park.RateLimiter;
import io.breakwater.core.park.ReplayAdmission;
import io.breakwater.core.pipeline.WorkerLoops;
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
    private final BreakerFleet fleetBreakers;
    private final WorkerLoops<CrawlHandler.Outcome> loops;
    private final HostBreakers breakers;

    private CrawlerWorker(MongoClient mongo, BreakerFleet fleetBreakers, WorkerLoops<CrawlHandler.Outcome> loops,
                          HostBreakers breakers) {
        this.mongo = mongo;
        this.fleetBreakers = fleetBreakers;
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
        BreakerPolicy.Identity identity = new BreakerPolicy.Identity(instance, clock.instant());
        BreakerPolicy mongoBreaker = new BreakerPolicy(BreakerSettings.from(settings, BreakerSettings.MONGODB), identity,
                fleet.share(), fleet.latencyWindow(), clock);
        // The fleet's view first; each host's breaker joins it when the host is first crawled.
        BreakerFleet fleetBreakers = BreakerFleet.join(kafka, topics, fleet, instance, "breakwater-crawler",
                List.of(mongoBreaker), ProcessMetrics.fleetMembers());
        HostBreakers breakers = new HostBreakers(settings, crawler, identity, fleet, clock, fleetBreakers::add,
                fleetBreakers::remove);
        HttpClient client = PageFetcher.newClient(crawler);
        PageFetcher fetcher = new PageFetcher(client, AddressGuard.resolvingWithDns(crawler.allowedHosts()),
                new RobotsRules(client, crawler, clock), new HostPacer(), crawler);
        MongoClient mongo = MongoConnections.open(mongoSettings);
        CrawlStore store = new CrawlStore(mongo.getDatabase(mongoSettings.database()));
        Parking parking = new Parking(topics.crawlJobsParked().name(), topics.crawlJobsDeadLetter().name(), park, clock);
        CrawlHandler handler = new CrawlHandler(topics, store, breakers, mongoBreaker, fetcher, parking,
                worker.maxRecordBytes(), clock);
        WorkerLoops.Spec loops = new WorkerLoops.Spec("crawler", topics.crawlJobs().name(),
                topics.crawlJobsParked().name(), topics.crawlJobsDeadLetter().name(), worker.groupId(), instance,
                worker.concurrency(), worker.maxInFlight(), worker.commitInterval());
        try {
            WorkerLoops<CrawlHandler.Outcome> running = WorkerLoops.start(loops, kafka, handler,
                    ReplayAdmission.perRecord(record -> breakers.existing(hostOf(record.value())), worker.maxInFlight(),
                            new RateLimiter(park.replayRatePerSecond(), System::nanoTime), clock), onFailure);
            log.info("Crawler worker {} consuming {} as group {}, replaying {}; {}", instance, topics.crawlJobs().name(),
                    worker.groupId(), topics.crawlJobsParked().name(), crawler.allowedHosts().isEmpty()
                            ? "internal addresses refused" : "internal addresses refused except " + crawler.allowedHosts());
            return new CrawlerWorker(mongo, fleetBreakers, running, breakers);
        } catch (RuntimeException e) {
            fleetBreakers.close();
            mongo.close();
            throw e;
        }
    }

    /** The breaker of {@code host}, if it has been crawled. */
    public BreakerPolicy hostBreaker(String host) {
        return breakers.existing(host);
    }

    public boolean isRunning() {
        return loops.isRunning();
    }

    @Override
    public void close() {
        loops.close();
        fleetBreakers.close();
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
