package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.breakwater.core.config.Settings;
import io.breakwater.ingest.IngestApi;
import io.breakwater.qa.QaWorker;
import io.breakwater.state.BreakerStateApp;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.LlmDouble;
import io.breakwater.testkit.Running;

/**
 * The live dashboard in a real headless browser (Debian's chromium): it loads, shows the {@code llm_service}
 * breaker, and shows it open once the LLM goes down. Leaves screenshots in {@code target/}.
 */
@ExtendWith(EmbeddedServersExtension.class)
class DashboardIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Path SCREENSHOTS = Path.of("target", "dashboard");

    @TempDir
    Path dir;

    @RegisterExtension
    final Running running = new Running();

    @Test
    void shouldShowTheLlmBreakerAndTurnItOpenWhenTheLlmGoesDown(EmbeddedServers servers) throws Exception {
        Path browser = browser().orElse(null);
        Assumptions.assumeTrue(browser != null, "No headless Chromium on this machine (install Debian's chromium,"
                + " which .ci/run does when it can, or set BW_CHROMIUM): the dashboard test is skipped");
        LlmDouble llm = running.add(LlmDouble.start());
        String run = "dash-" + UUID.randomUUID().toString().substring(0, 8);
        Settings settings = Settings.of(Map.of("kafka.bootstrap", servers.bootstrapServers(), "mongo.uri", servers.mongoUri(),
                "mongo.database", run, "topic.prefix", run + ".", "qa.group", run, "state.dir", dir.resolve("state").toString(),
                "llm.url", llm.baseUrl(), "llm.model", "m", "breaker.llm_service.retries", "0",
                "breaker.snapshot.seconds", "1"));
        running.add(BreakerStateApp.start(settings, Duration.ofSeconds(60), running::failed));
        running.add(QaWorker.start(settings.with("instance.id", "worker-1"), running::failed));
        IngestApi api = running.add(IngestApi.start(settings.with("api.port", "0").with("api.host", "127.0.0.1")));
        String page = "http://127.0.0.1:" + api.port() + "/";
        await().atMost(Duration.ofSeconds(20)).until(() -> get(api, "/health").contains("\"llm_service\""));

        String closed = dumpDom(browser, page);
        assertThat(closed).contains("Breakwater · circuit breakers");
        assertThat(Pattern.compile("data-breaker=\"llm_service\" data-state=\"closed\"").matcher(closed).find())
                .as("the llm_service card, closed, in:%n%s", closed).isTrue();
        Path closedShot = screenshot(browser, page, "dashboard-closed.png");

        llm.mode(LlmDouble.Mode.FAIL_500);
        for (int i = 0; i < 6; i++) {
            ask(api, "Down " + i + "?");
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> get(api, "/health").contains("\"open_breakers\":[\"llm_service\"]"));

        String open = dumpDom(browser, page);
        assertThat(Pattern.compile("data-breaker=\"llm_service\" data-state=\"open\"").matcher(open).find())
                .as("the llm_service card, open, in:%n%s", open).isTrue();
        assertThat(open).contains("OPEN").contains("worker-1");
        Path openShot = screenshot(browser, page, "dashboard-open.png");
        System.out.printf("Dashboard screenshots: %s, %s%n", closedShot.toAbsolutePath(), openShot.toAbsolutePath());
    }

    /** The page's DOM once its scripts have run. */
    private String dumpDom(Path browser, String url) throws Exception {
        return chromium(browser, List.of("--dump-dom", url));
    }

    private Path screenshot(Path browser, String url, String name) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        Path file = SCREENSHOTS.resolve(name).toAbsolutePath();
        chromium(browser, List.of("--window-size=900,1000", "--screenshot=" + file, url));
        assertThat(file).isNotEmptyFile();
        return file;
    }

    private String chromium(Path browser, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"),
                // The page keeps a live connection (server-sent events) open: stop loading after 4 s, then dump.
                "--timeout=4000"));
        command.addAll(args);
        Path out = Files.createTempFile(dir, "chromium", ".out");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(dir.resolve("chromium.log").toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("chromium did not finish within 60 s: " + Files.readString(dir.resolve("chromium.log")));
        }
        return Files.readString(out);
    }

    /** {@code BW_CHROMIUM}, else the first of the usual names on the PATH. */
    private static Optional<Path> browser() {
        String chosen = System.getenv("BW_CHROMIUM");
        if (chosen != null && Files.isExecutable(Path.of(chosen))) {
            return Optional.of(Path.of(chosen));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    private static String get(IngestApi api, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void ask(IngestApi api, String question) throws IOException, InterruptedException {
        HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/api/v1/questions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"" + question + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
