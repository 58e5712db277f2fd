package io.breakwater.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.breakwater.core.config.Settings;
import io.breakwater.core.topic.Topics;
import io.breakwater.embedded.FreePort;
import io.breakwater.testkit.ServiceProcess;
import io.breakwater.testkit.TestSite;

/**
 * Peak resident memory (VmHWM) of each service run on its own, as {@code ./breakwater <service>} runs it (with the JVM
 * options the script gives it), under a load of questions and crawl jobs; and of {@code ./breakwater up} (embedded
 * broker and MongoDB included) under the same load.
 */
final class MemoryBenchmark {

    private static final Path SCRIPT = Path.of("breakwater");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Duration READY = Duration.ofSeconds(90);

    private final BenchCluster cluster;
    private final Report report;
    private final int questions;

    MemoryBenchmark(BenchCluster cluster, Report report, Scale scale) {
        this.cluster = cluster;
        this.report = report;
        this.questions = scale.pick(100, 2_000, 10_000);
    }

    void run() throws Exception {
        if (!Files.isRegularFile(SCRIPT)) {
            report.note("memory: skipped, there is no ./breakwater here to run the services with; run it from the"
                    + " project's folder: ./breakwater bench memory");
            return;
        }
        String load = questions + " questions and 5 crawl jobs through the API";
        try (TestSite site = TestSite.start()) {
            Settings settings = cluster.run("memory", Map.of("crawler.allowed.hosts", site.host(),
                    "crawler.politeness.seconds", "0"));
            Map<String, String> environment = environment(settings);
            int apiPort = FreePort.find();
            Map<String, ServiceProcess> services = new LinkedHashMap<>();
            try {
                services.put("ingest-api", breakwater(List.of("ingest-api"), with(environment, "api.port", apiPort),
                        cluster.dir().resolve("memory-api.log"), "Ingest API listening"));
                services.put("qa-worker", breakwater(List.of("qa-worker"), with(environment, "metrics.port", 0),
                        cluster.dir().resolve("memory-qa.log"), "QA worker"));
                services.put("crawler-worker", breakwater(List.of("crawler-worker"), with(environment, "metrics.port", 0),
                        cluster.dir().resolve("memory-crawler.log"), "Crawler worker"));
                services.put("breaker-state", breakwater(List.of("breaker-state"), with(environment, "metrics.port", 0),
                        cluster.dir().resolve("memory-state.log"), "Breaker-state app folding"));
                try (OutputWatcher answers = OutputWatcher.start(cluster.bootstrapServers(),
                        Topics.from(settings).answers().name())) {
                    load(apiPort, site);
                    answers.await(questions, Duration.ofMinutes(10));
                }
                for (Map.Entry<String, ServiceProcess> service : services.entrySet()) {
                    report.figure("memory/" + service.getKey() + "-peak-rss", peakRssMiB(service.getValue()), "MiB",
                            "alone, as ./breakwater runs it, after " + load);
                }
            } finally {
                services.values().forEach(ServiceProcess::close);
            }

            int upApiPort = FreePort.find();
            int upKafkaPort = FreePort.find();
            Map<String, String> up = new HashMap<>();
            up.put(Settings.variableName("data.dir"), cluster.dir().resolve("memory-up").toString());
            up.put(Settings.variableName("embedded.kafka.port"), Integer.toString(upKafkaPort));
            up.put(Settings.variableName("embedded.mongo.port"), Integer.toString(FreePort.find()));
            up.put(Settings.variableName("api.port"), Integer.toString(upApiPort));
            up.put(Settings.variableName("api.host"), "127.0.0.1");
            up.put(Settings.variableName("crawler.allowed.hosts"), site.host());
            up.put(Settings.variableName("crawler.politeness.seconds"), "0");
            try (ServiceProcess whole = breakwater(List.of("up"), up, cluster.dir().resolve("memory-up.log"), "Breakwater is up.");
                 OutputWatcher answers = OutputWatcher.start("127.0.0.1:" + upKafkaPort,
                         Topics.from(Settings.of(Map.of())).answers().name())) {
                load(upApiPort, site);
                answers.await(questions, Duration.ofMinutes(10));
                report.figure("memory/up-peak-rss", peakRssMiB(whole), "MiB", "./breakwater up with its embedded"
                        + " Kafka and MongoDB, after " + load);
            }
        }
    }

    /** The questions from 8 callers at once, and a few pages to crawl. */
    private void load(int apiPort, TestSite site) throws Exception {
        URI crawl = URI.create("http://127.0.0.1:" + apiPort + "/api/v1/crawl");
        String pages = String.join("\", \"", site.url("/index.html"), site.url("/second.html"), site.url("/notes.txt"),
                site.url("/moved"), site.url("/boom.html"));
        HTTP.send(HttpRequest.newBuilder(crawl).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"urls\": [\"" + pages + "\"]}")).build(),
                HttpResponse.BodyHandlers.discarding());
        URI ask = URI.create("http://127.0.0.1:" + apiPort + "/api/v1/questions");
        ExecutorService callers = Executors.newFixedThreadPool(8);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < questions; i++) {
            int n = i;
            sent.add(CompletableFuture.runAsync(() -> {
                try {
                    HTTP.send(HttpRequest.newBuilder(ask).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"How long is breakwater " + n
                                    + "?\"}")).build(), HttpResponse.BodyHandlers.discarding());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, callers));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        callers.shutdown();
    }

    private static Map<String, String> environment(Settings settings) {
        Map<String, String> environment = new HashMap<>();
        for (String key : List.of("kafka.bootstrap", "mongo.uri", "mongo.database", "topic.prefix", "qa.group",
                "crawler.group", "state.dir", "crawler.allowed.hosts", "crawler.politeness.seconds", "api.host")) {
            settings.find(key).ifPresent(value -> environment.put(Settings.variableName(key), value));
        }
        return environment;
    }

    private static Map<String, String> with(Map<String, String> environment, String key, int value) {
        Map<String, String> copy = new HashMap<>(environment);
        copy.put(Settings.variableName(key), Integer.toString(value));
        return copy;
    }

    /**
     * {@code breakwater <args>} as users run it: through the {@code ./breakwater} script, with the JVM options it
     * gives each command (or {@code BW_JAVA_OPTS}, if this process has it); in a JVM of its own either way.
     */
    private static ServiceProcess breakwater(List<String> args, Map<String, String> environment, Path log, String ready) {
        Map<String, String> withOptions = new HashMap<>(environment);
        String options = System.getenv("BW_JAVA_OPTS");
        if (options != null) {
            withOptions.put("BW_JAVA_OPTS", options);
        }
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(args);
        return ServiceProcess.run(command, withOptions, log, ready, READY);
    }

    private static double peakRssMiB(ServiceProcess process) {
        return Machine.peakRssMiB(process.pid()).orElse(Double.NaN);
    }
}
