package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawlStatus;
import io.breakwater.core.crawl.CrawledPage;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.metrics.ProcessMetrics;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.CrawlStore;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.topic.Topics;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.Running;
import io.breakwater.testkit.TestSite;
import io.breakwater.testkit.TopicProbe;

/**
 * Issue 12's misbehaving sites, driven from outside: a job record on {@code crawl.jobs}, the real worker on the real
 * broker and Mongo wire server, a local site that answers as a hostile one would. Each job must end (or wait
 * parked within bounds) and the worker must keep crawling.
 */
@ExtendWith(EmbeddedServersExtension.class)
class HostileSiteIT {

    @RegisterExtension
    final Running running = new Running();

    private TestSite site;
    private CrawlStore store;
    private Topics topics;
    private TopicProbe probe;
    private CrawlerWorker worker;

    @BeforeEach
    void startSite() {
        site = running.add(TestSite.start());
    }

    @Test
    void shouldParkJobWithBoundedNotBeforeWhenSiteSendsHugeRetryAfter(EmbeddedServers servers) {
        startWorker(servers, Map.of());

        crawl(site.url("/retry-after-huge.html"));

        CrawlStore.JobRecord parked = awaitStatus(site.url("/retry-after-huge.html"), CrawlStatus.PARKED);
        Instant bound = Instant.now().plus(CrawlHandler.MAX_NOT_BEFORE).plusSeconds(5);
        assertThat(parked.nextAttemptAt()).isBefore(bound);
        ConsumerRecord<byte[], byte[]> record = probe.readAtLeast(topics.crawlJobsParked().name(), 1,
                Duration.ofSeconds(20)).get(0);
        assertThat(Instant.parse(WorkHeaders.text(record.headers(), WorkHeaders.NOT_BEFORE))).isBefore(bound);

        crawl(site.url("/index.html"));
        awaitStatus(site.url("/index.html"), CrawlStatus.FETCHED);
        assertThat(worker.isRunning()).as("the replay loop holds the parked job without dying").isTrue();
    }

    @Test
    void shouldEndTheJobAndKeepCrawlingWhenRobotsTxtNeverEnds(EmbeddedServers servers) {
        site.endlessRobotsTxt();
        startWorker(servers, Map.of());

        crawl(site.url("/index.html"));

        awaitStatus(site.url("/index.html"), CrawlStatus.FETCHED);
        crawl(site.url("/second.html"));
        awaitStatus(site.url("/second.html"), CrawlStatus.FETCHED);
        assertThat(site.requests("/robots.txt")).as("read once, its first 500 KiB").isEqualTo(1);
        assertThat(worker.isRunning()).isTrue();
    }

    @Test
    void shouldPublishAPageOf400000CjkCharactersCutToFitCrawlPages(EmbeddedServers servers) {
        startWorker(servers, Map.of());
        String url = site.url("/cjk.html");

        crawl(url);

        CrawlStore.JobRecord fetched = awaitStatus(url, CrawlStatus.FETCHED);
        assertThat(fetched.reason()).contains("cut").contains(Integer.toString(PageExtractor.MAX_TEXT_BYTES));
        List<ConsumerRecord<byte[], byte[]>> pages = probe.readUntil(topics.crawlPages().name(), read -> read.stream()
                .anyMatch(record -> new String(record.key(), StandardCharsets.UTF_8).equals(url)), Duration.ofSeconds(30));
        CrawledPage page = pages.stream().filter(record -> new String(record.key(), StandardCharsets.UTF_8).equals(url))
                .map(record -> EventJson.decode(record.value(), CrawledPage.class)).findFirst().orElseThrow();
        assertThat(page.text().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(PageExtractor.MAX_TEXT_BYTES);
        assertThat(page.text()).startsWith(TestSite.cjk(1000));
    }

    @Test
    void shouldParkJobsOfAHostWithALongCrawlDelayInsteadOfWaitingInsideItsBreaker(EmbeddedServers servers) {
        site.robotsTxt("User-agent: *\nCrawl-delay: 30\n");
        startWorker(servers, Map.of("breaker.crawler.failures", "1"));
        crawl(site.url("/index.html"));
        awaitStatus(site.url("/index.html"), CrawlStatus.FETCHED);

        crawl(site.url("/second.html"));
        crawl(site.url("/notes.txt"));
        crawl("http://localhost:" + site.port() + "/notes.txt");

        for (String path : List.of("/second.html", "/notes.txt")) {
            CrawlStore.JobRecord parked = awaitStatus(site.url(path), CrawlStatus.PARKED);
            assertThat(parked.reason()).contains("Crawl-delay");
            assertThat(parked.nextAttemptAt()).isAfter(Instant.now().plusSeconds(20));
        }
        awaitStatus("http://localhost:" + site.port() + "/notes.txt", CrawlStatus.FETCHED);
        assertThat(worker.hostBreaker("127.0.0.1").state()).as("waiting one's turn is not the site failing")
                .isEqualTo(BreakerState.CLOSED);
        assertThat(site.requests("/second.html")).isZero();
    }

    @Test
    void shouldKeepACrawlDelayFromTheFirstRequestToAHostWhoseJobsCameBeforeItsRobotsTxtWasRead(EmbeddedServers servers) {
        // Slow, so that every job has had its turn (the politeness gap is 0 here) before the Crawl-delay is known.
        site.slowRobotsTxt("User-agent: *\nCrawl-delay: 30\n", Duration.ofSeconds(1));
        startWorker(servers, Map.of());
        List<String> urls = List.of(site.url("/index.html"), site.url("/second.html"), site.url("/notes.txt"));

        Map<String, String> records = new LinkedHashMap<>();
        urls.forEach(url -> records.put(url, new String(EventJson.encode(new CrawlJob(url, 0, null)),
                StandardCharsets.UTF_8)));
        probe.publishAll(topics.crawlJobs().name(), records);

        await().atMost(Duration.ofSeconds(30)).until(() -> urls.stream().allMatch(url -> store.findJob(
                new CrawlJob(url, 0, null).id()).map(job -> job.status() == CrawlStatus.FETCHED
                        || job.status() == CrawlStatus.PARKED).orElse(false)));
        long fetched = urls.stream().filter(url -> store.findJob(new CrawlJob(url, 0, null).id()).orElseThrow()
                .status() == CrawlStatus.FETCHED).count();
        assertThat(fetched).as("one request in the first 30 s, though all three had turns at once").isEqualTo(1);
        assertThat(site.requests("/index.html") + site.requests("/second.html") + site.requests("/notes.txt"))
                .isEqualTo(1);
        urls.stream().map(url -> store.findJob(new CrawlJob(url, 0, null).id()).orElseThrow())
                .filter(job -> job.status() == CrawlStatus.PARKED)
                .forEach(job -> assertThat(job.reason()).contains("Crawl-delay"));
    }

    @Test
    void shouldKeepCrawlerSeriesOnMetricsBoundedAfterThreeHundredUnknownHosts(EmbeddedServers servers) {
        startWorker(servers, Map.of());
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            urls.add("http://h" + UUID.randomUUID().toString().substring(0, 12) + ".invalid/");
        }

        Map<String, String> records = new LinkedHashMap<>();
        urls.forEach(url -> records.put(url, new String(EventJson.encode(new CrawlJob(url, 0, null)),
                StandardCharsets.UTF_8)));
        probe.publishAll(topics.crawlJobs().name(), records);

        await().atMost(Duration.ofSeconds(60)).until(() -> urls.stream().allMatch(url -> store.findJob(
                new CrawlJob(url, 0, null).id()).map(job -> job.status() == CrawlStatus.FAILED).orElse(false)));
        assertThat(awaitStatus(urls.get(0), CrawlStatus.FAILED).reason()).contains("does not resolve");
        String scraped = ProcessMetrics.scrape();
        // The crawler breakers' series (the loop's own, labelled loop="crawler", are a constant few).
        assertThat(scraped.lines().filter(line -> !line.startsWith("#")
                && (line.contains("\"crawler:") || line.contains("family=\"crawler\"")))).hasSizeLessThanOrEqualTo(50);
        assertThat(scraped).contains("breakwater_breakers{family=\"crawler\",state=\"closed\"}");
        crawl(site.url("/index.html"));
        awaitStatus(site.url("/index.html"), CrawlStatus.FETCHED);
    }

    private void startWorker(EmbeddedServers servers, Map<String, String> more) {
        String run = "hostile-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> values = new HashMap<>(Map.of(
                "kafka.bootstrap", servers.bootstrapServers(),
                "mongo.uri", servers.mongoUri(),
                "mongo.database", run,
                "topic.prefix", run + ".",
                "crawler.group", run,
                "crawler.allowed.hosts", "127.0.0.1,localhost",
                "crawler.politeness.seconds", "0",
                "crawler.timeout.seconds", "3",
                "breaker.snapshot.seconds", "1"));
        values.putAll(more);
        Settings settings = Settings.of(values);
        topics = Topics.from(settings);
        probe = new TopicProbe(servers.bootstrapServers());
        MongoClient mongo = running.add(MongoConnections.open(new MongoSettings(servers.mongoUri(), run)));
        store = new CrawlStore(mongo.getDatabase(run));
        worker = running.add(CrawlerWorker.start(settings, running::failed));
    }

    private void crawl(String url) {
        CrawlJob job = new CrawlJob(url, 0, null);
        Map<String, String> record = new LinkedHashMap<>();
        record.put(job.url(), new String(EventJson.encode(job), StandardCharsets.UTF_8));
        probe.publishAll(topics.crawlJobs().name(), record);
    }

    private CrawlStore.JobRecord awaitStatus(String url, CrawlStatus status) {
        String id = new CrawlJob(url, 0, null).id();
        return await().atMost(Duration.ofSeconds(40)).until(() -> store.findJob(id),
                        job -> job.isPresent() && job.get().status() == status)
                .orElseThrow();
    }
}
