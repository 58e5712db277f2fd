package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.breakwater.core.config.Settings;
import io.breakwater.core.topic.Topics;
import io.breakwater.embedded.FreePort;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.LlmDouble;
import io.breakwater.testkit.ServiceProcess;
import io.breakwater.testkit.TestSite;
import io.breakwater.testkit.TopicProbe;

/**
 * Each service run as operators run it, one process per service, scraped at {@code /metrics} while its breaker
 * opens and closes again: the breaker gauges and call counters, parked, replayed and dead-lettered counts, the
 * latency histograms and consumer lag say what happened.
 */
@ExtendWith(EmbeddedServersExtension.class)
class MetricsIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Duration READY = Duration.ofSeconds(60);
    private static final Duration CHANGE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void shouldShowEachServicesBreakersOpeningAndClosingInItsMetrics(EmbeddedServers servers) throws Exception {
        String run = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        int apiPort = FreePort.find();
        int qaMetrics = FreePort.find();
        int crawlerMetrics = FreePort.find();
        int stateMetrics = FreePort.find();
        Topics topics = Topics.from(Settings.of(Map.of("topic.prefix", run + ".")));

        try (LlmDouble llm = LlmDouble.start(); TestSite site = TestSite.start()) {
            llm.mode(LlmDouble.Mode.FAIL_500);
            site.down();
            Map<String, String> settings = new HashMap<>(Map.of(
                    "kafka.bootstrap", servers.bootstrapServers(),
                    "mongo.uri", servers.mongoUri(),
                    "mongo.database", run,
                    "topic.prefix", run + ".",
                    "qa.group", run + "-qa",
                    "crawler.group", run + "-crawler",
                    "state.dir", dir.resolve("state").toString(),
                    "llm.url", llm.baseUrl(),
                    "llm.model", "m",
                    "instance.id", "metrics-it"));
            settings.putAll(Map.of(
                    "breaker.llm_service.retries", "0",
                    "breaker.llm_service.open.seconds", "4",
                    "breaker.crawler.failures", "2",
                    "breaker.crawler.retries", "0",
                    "breaker.crawler.open.seconds", "2",
                    "breaker.snapshot.seconds", "1",
                    "crawler.allowed.hosts", site.host(),
                    "crawler.politeness.seconds", "0",
                    "api.port", Integer.toString(apiPort),
                    "api.host", "127.0.0.1"));
            settings.putAll(Map.of("qa.park.backoff.seconds", "0.2", "qa.park.max.backoff.seconds", "0.5",
                    "crawler.park.backoff.seconds", "0.2", "crawler.park.max.backoff.seconds", "0.5"));

            List<CompletableFuture<ServiceProcess>> starting = List.of(
                    start("ingest-api", settings, Map.of(), "Ingest API listening"),
                    start("qa-worker", settings, Map.of("metrics.port", Integer.toString(qaMetrics)), "QA worker"),
                    start("crawler-worker", settings, Map.of("metrics.port", Integer.toString(crawlerMetrics)),
                            "Crawler worker"),
                    start("breaker-state", settings, Map.of("metrics.port", Integer.toString(stateMetrics)),
                            "Breaker-state app folding"));
            List<ServiceProcess> processes = new ArrayList<>();
            try {
                for (CompletableFuture<ServiceProcess> process : starting) {
                    processes.add(process.join());
                }
                String qa = "http://127.0.0.1:" + qaMetrics + "/metrics";
                String crawler = "http://127.0.0.1:" + crawlerMetrics + "/metrics";
                String state = "http://127.0.0.1:" + stateMetrics + "/metrics";
                String api = "http://127.0.0.1:" + apiPort + "/metrics";
                String host = "crawler:" + site.host();

                // The LLM and the site fail: both breakers open, and the work parks.
                for (int i = 0; i < 8; i++) {
                    post(apiPort, "/api/v1/questions", "{\"question\": \"Metric " + i + "?\"}");
                }
                post(apiPort, "/api/v1/crawl", "{\"urls\": [\"" + site.url("/") + "\", \"" + site.url("/notes.txt")
                        + "\", \"" + site.url("/second.html") + "\"]}");
                new TopicProbe(servers.bootstrapServers()).publishAll(topics.questions().name(),
                        Map.of("broken", "{not json"));

                await().atMost(CHANGE).untilAsserted(() -> {
                    Scrape metrics = Scrape.of(qa);
                    assertThat(metrics.value("breakwater_breaker_state", "breaker", "llm_service")).isEqualTo(2);
                    assertThat(metrics.value("breakwater_breaker_calls_total", "breaker", "llm_service", "outcome", "failure"))
                            .isGreaterThanOrEqualTo(5);
                    assertThat(metrics.value("breakwater_records_parked_total", "topic", topics.parkedQuestions().name()))
                            .isGreaterThanOrEqualTo(8);
                    assertThat(metrics.value("breakwater_records_dead_lettered_total", "topic",
                            topics.questionsDeadLetter().name())).isEqualTo(1);
                });
                await().atMost(CHANGE).untilAsserted(() -> {
                    Scrape metrics = Scrape.of(crawler);
                    assertThat(metrics.value("breakwater_breaker_state", "breaker", host)).isEqualTo(2);
                    assertThat(metrics.value("breakwater_records_parked_total", "topic", topics.crawlJobsParked().name()))
                            .isGreaterThanOrEqualTo(3);
                });
                await().atMost(CHANGE).untilAsserted(() -> {
                    Scrape metrics = Scrape.of(state);
                    assertThat(metrics.value("breakwater_health_state", "breaker", "llm_service")).isEqualTo(2);
                    assertThat(metrics.value("breakwater_health_state", "breaker", host)).isEqualTo(2);
                });
                // Questions that come while it is open are refused without a call, and park.
                for (int i = 8; i < 10; i++) {
                    post(apiPort, "/api/v1/questions", "{\"question\": \"Metric " + i + "?\"}");
                }
                await().atMost(CHANGE).untilAsserted(() -> assertThat(Scrape.of(qa).value("breakwater_breaker_calls_total",
                        "breaker", "llm_service", "outcome", "rejected")).as("calls refused while open").isPositive());
                Scrape qaWhileOpen = Scrape.of(qa);
                assertThat(qaWhileOpen.value("breakwater_dependency_call_seconds_count", "breaker", "llm_service",
                        "outcome", "failure")).as("LLM call latency, failed calls").isGreaterThanOrEqualTo(5);

                // Both come back: the breakers close, and the parked work is replayed and answered.
                llm.mode(LlmDouble.Mode.ANSWER);
                site.up();
                await().atMost(CHANGE).untilAsserted(() -> {
                    Scrape metrics = Scrape.of(qa);
                    assertThat(metrics.value("breakwater_breaker_state", "breaker", "llm_service")).isEqualTo(0);
                    assertThat(metrics.value("breakwater_breaker_calls_total", "breaker", "llm_service", "outcome", "success"))
                            .isGreaterThanOrEqualTo(10);
                    assertThat(metrics.value("breakwater_records_replayed_total", "topic", topics.parkedQuestions().name()))
                            .isGreaterThanOrEqualTo(10);
                });
                await().atMost(CHANGE).untilAsserted(() -> {
                    Scrape metrics = Scrape.of(crawler);
                    assertThat(metrics.value("breakwater_breaker_state", "breaker", host)).isEqualTo(0);
                    assertThat(metrics.value("breakwater_records_replayed_total", "topic", topics.crawlJobsParked().name()))
                            .isGreaterThanOrEqualTo(3);
                });
                await().atMost(CHANGE).untilAsserted(() -> {
                    Scrape metrics = Scrape.of(state);
                    assertThat(metrics.value("breakwater_health_state", "breaker", "llm_service")).isEqualTo(0);
                    assertThat(metrics.value("breakwater_health_state", "breaker", host)).isEqualTo(0);
                });

                Scrape qaAfter = Scrape.of(qa);
                assertThat(qaAfter.value("breakwater_dependency_call_seconds_count", "breaker", "llm_service",
                        "outcome", "success")).as("LLM call latency, answered calls").isGreaterThanOrEqualTo(10);
                assertThat(qaAfter.value("breakwater_processing_seconds_count", "loop", "qa-worker")).isGreaterThanOrEqualTo(11);
                assertThat(qaAfter.value("breakwater_records_processed_total", "loop", "qa-worker",
                        "topic", topics.questions().name())).isEqualTo(11);
                assertThat(qaAfter.value("breakwater_consumer_lag", "group", run + "-qa", "topic", topics.questions().name()))
                        .as("nothing left to consume").isEqualTo(0);
                assertThat(qaAfter.has("jvm_memory_used_bytes")).isTrue();
                Scrape apiMetrics = Scrape.of(api);
                assertThat(apiMetrics.value("breakwater_breaker_state", "breaker", "kafka")).isEqualTo(0);
                assertThat(apiMetrics.value("breakwater_breaker_calls_total", "breaker", "kafka", "outcome", "success"))
                        .isGreaterThanOrEqualTo(11);
                assertThat(apiMetrics.value("breakwater_http_request_seconds_count", "method", "POST",
                        "route", "/api/v1/questions", "status", "202")).isEqualTo(10);
                assertThat(Scrape.of(state).has("jvm_threads_current")).isTrue();
            } finally {
                for (CompletableFuture<ServiceProcess> process : starting) {
                    process.thenAccept(ServiceProcess::close);
                }
            }
        }
    }

    private CompletableFuture<ServiceProcess> start(String service, Map<String, String> settings, Map<String, String> own,
                                                    String ready) {
        Map<String, String> environment = new HashMap<>();
        settings.forEach((key, value) -> environment.put(Settings.variableName(key), value));
        own.forEach((key, value) -> environment.put(Settings.variableName(key), value));
        Path log = dir.resolve(service + ".log");
        return CompletableFuture.supplyAsync(() -> breakwater(List.of(service), environment, log, ready));
    }

    private static void post(int port, String path, String body) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    }

    /** One scrape in Prometheus's text format: each sample's name, labels and value. */
    private record Scrape(List<Sample> samples) {

        private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        record Sample(String name, Map<String, String> labels, double value) {
        }

        static Scrape of(String url) throws Exception {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            List<Sample> samples = new ArrayList<>();
            response.body().lines().filter(line -> !line.startsWith("#") && !line.isBlank()).forEach(line -> {
                Matcher sample = SAMPLE.matcher(line);
                if (sample.find()) {
                    Map<String, String> labels = new LinkedHashMap<>();
                    if (sample.group(3) != null) {
                        Matcher label = LABEL.matcher(sample.group(3));
                        while (label.find()) {
                            labels.put(label.group(1), label.group(2));
                        }
                    }
                    samples.add(new Sample(sample.group(1), labels, Double.parseDouble(sample.group(4))));
                }
            });
            return new Scrape(samples);
        }

        boolean has(String name) {
            return samples.stream().anyMatch(sample -> sample.name().equals(name));
        }

        /** The sum of the samples named {@code name} whose labels include the given pairs; fails if there is none. */
        double value(String name, String... labelPairs) {
            List<Sample> matching = samples.stream().filter(sample -> sample.name().equals(name)).filter(sample -> {
                for (int i = 0; i < labelPairs.length; i += 2) {
                    if (!labelPairs[i + 1].equals(sample.labels().get(labelPairs[i]))) {
                        return false;
                    }
                }
                return true;
            }).toList();
            assertThat(matching).as("%s with %s", name, List.of(labelPairs)).isNotEmpty();
            return matching.stream().mapToDouble(Sample::value).sum();
        }
    }

    /** {@code breakwater <args>} in a JVM of its own, ready once its output shows {@code ready}. */
    private static ServiceProcess breakwater(List<String> args, Map<String, String> environment, Path log, String ready) {
        return ServiceProcess.start(Breakwater.class.getName(), List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"), args,
                environment, log, ready, READY);
    }
}
