package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawlStatus;
import io.breakwater.core.crawl.CrawledPage;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.CrawlStore;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.topic.Topics;
import io.breakwater.embedded.EmbeddedMongo;
import io.breakwater.embedded.FreePort;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.Running;
import io.breakwater.testkit.TestSite;
import io.breakwater.testkit.TopicProbe;

/** The crawler worker on the real broker and Mongo wire server, against a real local web site. */
@ExtendWith(EmbeddedServersExtension.class)
class CrawlerWorkerIT {

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
        site.slowPageDelay(Duration.ofMillis(100));
    }

    @Test
    void shouldStoreAndPublishACrawledPageAndFollowItsLinksAsDeepAsAsked(EmbeddedServers servers) {
        startWorker(servers, Map.of("crawler.allowed.hosts", "127.0.0.1"));

        crawl(site.url("/index.html"), 1);

        CrawlStore.JobRecord index = awaitStatus(site.url("/index.html"), CrawlStatus.FETCHED);
        assertThat(index.title()).isEqualTo(TestSite.INDEX_TITLE);
        CrawledPage stored = store.findPage(site.url("/index.html")).orElseThrow();
        assertThat(stored.text()).contains(TestSite.FACT).doesNotContain("Navigation menu");
        List<String> expected = List.of(site.url("/index.html"), site.url("/second.html"));
        List<ConsumerRecord<byte[], byte[]>> pages = probe.readUntil(topics.crawlPages().name(), read -> read.stream()
                .map(record -> new String(record.key(), StandardCharsets.UTF_8)).toList().containsAll(expected),
                Duration.ofSeconds(20));
        assertThat(pages).extracting(record -> new String(record.key(), StandardCharsets.UTF_8)).containsAll(expected);
        assertThat(pages).filteredOn(record -> new String(record.key(), StandardCharsets.UTF_8).equals(site.url("/index.html")))
                .allSatisfy(record -> assertThat(EventJson.decode(record.value(), CrawledPage.class).contentHash())
                        .isEqualTo(stored.contentHash()));

        assertThat(awaitStatus(site.url("/second.html"), CrawlStatus.FETCHED).depth()).isZero();
        CrawlStore.JobRecord secret = awaitStatus(site.url("/private/secret.html"), CrawlStatus.SKIPPED);
        assertThat(secret.skipReason()).isEqualTo("robots");
        assertThat(site.requests("/private/secret.html")).isZero();
    }

    @Test
    void shouldEndUnfetchablePagesSkippedOrFailedWithTheReason(EmbeddedServers servers) {
        startWorker(servers, Map.of("crawler.allowed.hosts", "127.0.0.1"));
        String refusedPage = "http://localhost:" + site.port() + "/index.html";

        for (String path : List.of("/big.html", "/image.png", "/loop-a", "/missing.html")) {
            crawl(site.url(path), 0);
        }
        crawl(refusedPage, 0);

        assertThat(awaitStatus(site.url("/big.html"), CrawlStatus.SKIPPED).skipReason()).isEqualTo("size");
        assertThat(awaitStatus(site.url("/image.png"), CrawlStatus.SKIPPED).skipReason()).isEqualTo("type");
        assertThat(awaitStatus(site.url("/loop-a"), CrawlStatus.FAILED).reason()).contains("redirects");
        assertThat(awaitStatus(site.url("/missing.html"), CrawlStatus.FAILED).reason()).contains("HTTP 404");
        assertThat(awaitStatus(refusedPage, CrawlStatus.FAILED).reason()).contains("loopback address");
    }

    @Test
    void shouldParkADeadHostsJobsWithoutHoldingUpAnotherHostAndFetchThemOnceItIsBack(EmbeddedServers servers) {
        int deadPort = FreePort.find();
        startWorker(servers, Map.of("crawler.allowed.hosts", "127.0.0.1,localhost",
                "breaker.crawler.failures", "2", "breaker.crawler.retries", "0", "breaker.crawler.open.seconds", "2",
                "crawler.park.backoff.seconds", "0.5", "crawler.park.max.backoff.seconds", "1"));
        List<String> dead = List.of("http://localhost:" + deadPort + "/a.html", "http://localhost:" + deadPort + "/b.html",
                "http://localhost:" + deadPort + "/c.html");

        dead.forEach(url -> crawl(url, 0));
        crawl(site.url("/index.html"), 0);

        awaitStatus(site.url("/index.html"), CrawlStatus.FETCHED);
        dead.forEach(url -> awaitStatus(url, CrawlStatus.PARKED));
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.hostBreaker("localhost") != null
                && worker.hostBreaker("localhost").state() == BreakerState.OPEN);
        assertThat(worker.hostBreaker("127.0.0.1").state()).as("one dead site does not stop the others")
                .isEqualTo(BreakerState.CLOSED);

        try (TestSite revived = TestSite.startOn(deadPort)) {
            dead.forEach(url -> awaitStatus(url, CrawlStatus.FAILED));
            assertThat(revived.requests("/a.html")).as("fetched once back (a 404 here: the site has no such page)")
                    .isEqualTo(1);
        }
    }

    @Test
    void shouldParkJobsWhileMongoDbIsDownAndFetchThemOnceItIsBack(EmbeddedServers servers, @TempDir Path dir) {
        int port = FreePort.find();
        Path file = dir.resolve("mongo.h2");
        EmbeddedMongo down = EmbeddedMongo.persistent(file, port);
        startWorker(servers, Map.of("crawler.allowed.hosts", "127.0.0.1", "mongo.uri", down.connectionString(),
                "breaker.mongodb.open.seconds", "2"));
        down.close();

        crawl(site.url("/index.html"), 0);
        crawl(site.url("/second.html"), 0);

        List<ConsumerRecord<byte[], byte[]>> parked = probe.readAtLeast(topics.crawlJobsParked().name(), 2,
                Duration.ofSeconds(60));
        assertThat(parked).allSatisfy(record ->
                assertThat(WorkHeaders.text(record.headers(), WorkHeaders.BREAKER)).isEqualTo("mongodb"));

        try (EmbeddedMongo back = EmbeddedMongo.persistent(file, port)) {
            awaitStatus(site.url("/index.html"), CrawlStatus.FETCHED);
            awaitStatus(site.url("/second.html"), CrawlStatus.FETCHED);
            assertThat(store.findPage(site.url("/index.html")).orElseThrow().text()).contains(TestSite.FACT);
        }
    }

    private void startWorker(EmbeddedServers servers, Map<String, String> more) {
        String run = "crawl-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> values = new HashMap<>(Map.of(
                "kafka.bootstrap", servers.bootstrapServers(),
                "mongo.uri", servers.mongoUri(),
                "mongo.database", run,
                "topic.prefix", run + ".",
                "crawler.group", run,
                "crawler.politeness.seconds", "0",
                "crawler.timeout.seconds", "3",
                "breaker.snapshot.seconds", "1"));
        values.putAll(more);
        Settings settings = Settings.of(values);
        topics = Topics.from(settings);
        probe = new TopicProbe(servers.bootstrapServers());
        MongoClient mongo = running.add(MongoConnections.open(
                new MongoSettings(settings.string("mongo.uri", servers.mongoUri()), run)));
        store = new CrawlStore(mongo.getDatabase(run));
        worker = running.add(CrawlerWorker.start(settings, running::failed));
    }

    private void crawl(String url, int depth) {
        CrawlJob job = new CrawlJob(url, depth, null);
        Map<String, String> record = new LinkedHashMap<>();
        record.put(job.url(), new String(EventJson.encode(job), StandardCharsets.UTF_8));
        probe.publishAll(topics.crawlJobs().name(), record);
    }

    private CrawlStore.JobRecord awaitStatus(String url, CrawlStatus status) {
        String id = new CrawlJob(url, 0, null).id();
        return await().atMost(Duration.ofSeconds(30)).until(() -> store.findJob(id),
                        job -> job.isPresent() && job.get().status() == status)
                .orElseThrow();
    }
}
