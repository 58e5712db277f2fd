package io.breakwater.crawler;

import java.net.http.HttpClient;
import java.util.List;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawlUrl;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.park.ReplayAdmission;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.CrawlStore;
import io.breakwater.core.topic.Topics;
import io.breakwater.core.worker.WorkerContext;
import io.breakwater.core.worker.WorkerDefinition;
import io.breakwater.core.worker.WorkerRuntime;
import io.breakwater.core.worker.WorkerSettings;

/**
 * The crawler worker: consumes {@code crawl.jobs}, fetches each page through its host's breaker, stores it in
 * MongoDB and publishes it to {@code crawl.pages}, exactly once. While a host is down its jobs are parked on
 * {@code crawl.jobs.parked}; a second loop replays them as the host's breaker lets calls through again. The same
 * park-and-replay machinery as the QA worker's, with a breaker per host. Start with {@link #start}, stop with
 * {@link #close}.
 */
public final class CrawlerWorker implements AutoCloseable {

    private final WorkerRuntime<CrawlHandler.Outcome> runtime;
    private final HostBreakers breakers;

    private CrawlerWorker(WorkerRuntime<CrawlHandler.Outcome> runtime, HostBreakers breakers) {
        this.runtime = runtime;
        this.breakers = breakers;
    }

    /**
     * Creates missing topics, connects and starts consuming.
     *
     * @param onFailure called if the worker stops on an error it cannot recover from
     * @throws io.breakwater.core.config.ConfigException if a setting is wrong
     */
    public static CrawlerWorker start(Settings settings, Consumer<Throwable> onFailure) {
        // Read first: a bad setting stops the start before anything connects.
        Definition definition = new Definition(CrawlerWorkerSettings.from(settings), CrawlerSettings.from(settings));
        WorkerRuntime<CrawlHandler.Outcome> runtime = WorkerRuntime.start(settings, definition, onFailure);
        return new CrawlerWorker(runtime, definition.breakers);
    }

    /** The breaker of {@code host}, if it has been crawled. */
    public BreakerPolicy hostBreaker(String host) {
        return breakers.existing(host);
    }

    public boolean isRunning() {
        return runtime.isRunning();
    }

    @Override
    public void close() {
        runtime.close();
    }

    /**
     * The breaker a parked job waits for: the store's, if it was parked because MongoDB was away (its
     * {@code bw.breaker} header says so), else its host's, if that host has a breaker yet.
     */
    static BreakerPolicy parkedFor(ConsumerRecord<byte[], byte[]> record, BreakerPolicy store, HostBreakers hosts) {
        return store.name().equals(WorkHeaders.text(record.headers(), WorkHeaders.BREAKER))
                ? store : hosts.existing(hostOf(record.value()));
    }

    /** The host a parked job is for, or "" if it cannot be read (it is dead-lettered when handled). */
    private static String hostOf(byte[] value) {
        try {
            return CrawlUrl.host(EventJson.decode(value, CrawlJob.class).url());
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** The crawler worker as the runtime runs it: a breaker per host, made as hosts are first crawled. */
    private static final class Definition implements WorkerDefinition<CrawlHandler.Outcome> {

        private final CrawlerWorkerSettings worker;
        private final CrawlerSettings crawler;
        private HostBreakers breakers;

        Definition(CrawlerWorkerSettings worker, CrawlerSettings crawler) {
            this.worker = worker;
            this.crawler = crawler;
        }

        @Override
        public String name() {
            return "crawler";
        }

        @Override
        public String title() {
            return "Crawler worker";
        }

        @Override
        public String settingsPrefix() {
            return "crawler";
        }

        @Override
        public WorkerSettings workerSettings(Settings settings) {
            return worker.loops();
        }

        @Override
        public WorkTopics topics(Topics topics) {
            return new WorkTopics(topics.crawlJobs().name(), topics.crawlJobsParked().name(),
                    topics.crawlJobsDeadLetter().name());
        }

        @Override
        public List<BreakerSettings> dependencies() {
            return List.of(Dependencies.MONGODB);
        }

        @Override
        public Parts<CrawlHandler.Outcome> assemble(WorkerContext context) {
            // Each host's breaker joins the fleet when the host is first crawled.
            breakers = new HostBreakers(context.settings(), crawler, context.identity(), context.fleetSettings(),
                    context.clock(), context.fleet()::add, context.fleet()::remove);
            HostBreakers hosts = breakers;
            HttpClient client = PageFetcher.newClient(crawler);
            PageFetcher fetcher = new PageFetcher(client, AddressGuard.resolvingWithDns(crawler.allowedHosts()),
                    new RobotsRules(client, crawler, context.clock()), new HostPacer(), crawler);
            CrawlHandler handler = new CrawlHandler(context.topics(), new CrawlStore(context.database()), hosts,
                    context.breaker(Dependencies.MONGODB), fetcher, context.parking(), worker.maxRecordBytes(),
                    context.clock());
            BreakerPolicy store = context.breaker(Dependencies.MONGODB);
            ReplayAdmission replay = ReplayAdmission.perRecord(record -> parkedFor(record, store, hosts),
                    worker.maxInFlight(), context.replayRate(), context.clock());
            return new Parts<>(handler, replay, List.of(), crawler.allowedHosts().isEmpty()
                    ? "internal addresses refused" : "internal addresses refused except " + crawler.allowedHosts());
        }
    }
}
