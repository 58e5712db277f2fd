package io.breakwater.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.BreakerReporter;
import io.breakwater.core.breaker.BreakerState;
import io.breakwater.core.breaker.FleetHealth;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.topic.Topics;
import io.breakwater.embedded.EmbeddedKafkaBroker;
import io.breakwater.embedded.EmbeddedMongo;
import io.breakwater.ingest.IngestApi;
import io.breakwater.state.BreakerStateApp;

/**
 * {@code breakwater bench health [--quick]}: how long a breaker transition takes to show on {@code breaker.health}
 * (as any consumer of the topic sees it) and on {@code /health}, over many transitions, on an embedded broker.
 * Prints {@code BENCH <name> <value> ms} lines; asserts nothing.
 */
final class HealthLagBenchmark {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private HealthLagBenchmark() {
    }

    /** @return the exit code */
    static int run(List<String> args, PrintStream out) throws Exception {
        int transitions = args.contains("--quick") ? 60 : 300;
        Path dir = Files.createTempDirectory("breakwater-bench-health");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of());
             EmbeddedMongo mongo = EmbeddedMongo.inMemory()) {
            Settings settings = Settings.of(Map.of("kafka.bootstrap", broker.bootstrapServers(),
                    "mongo.uri", mongo.connectionString(), "state.dir", dir.resolve("state").toString(),
                    "api.port", "0", "api.host", "127.0.0.1"));
            Topics topics = Topics.from(settings);
            try (BreakerStateApp app = BreakerStateApp.start(settings, Duration.ofSeconds(60), error -> { });
                 IngestApi api = IngestApi.start(settings);
                 FleetHealth topic = FleetHealth.follow(KafkaSettings.from(settings), topics.breakerHealth(), "bench-health")) {
                BreakerPolicy breaker = new BreakerPolicy(BreakerSettings.LLM_SERVICE,
                        new BreakerPolicy.Identity("bench", Clock.systemUTC().instant()), false, Duration.ofSeconds(60),
                        Clock.systemUTC());
                try (BreakerReporter reporter = BreakerReporter.start(KafkaSettings.from(settings), topics.breakerEvents(),
                        List.of(breaker), Duration.ofSeconds(5), "bench-reporter")) {
                    awaitState(topic, BreakerState.CLOSED, Duration.ofSeconds(30));
                    URI health = URI.create("http://127.0.0.1:" + api.port() + "/health");
                    // Warm-up: the first transitions pay for class loading and connection set-up.
                    measure(breaker, topic, health, 10);
                    Lags lags = measure(breaker, topic, health, transitions);
                    print(out, "health/transition-to-topic", lags.topic());
                    print(out, "health/transition-to-api", lags.api());
                    out.printf("(%d transitions of llm_service, closed and open in turn; topic = a read_committed consumer"
                            + " of %s, api = GET /health polled every 2 ms)%n", transitions, topics.breakerHealth().name());
                }
            }
        } finally {
            deleteQuietly(dir);
        }
        return 0;
    }

    private static Lags measure(BreakerPolicy breaker, FleetHealth topic, URI health, int transitions) throws Exception {
        long[] topicLags = new long[transitions];
        long[] apiLags = new long[transitions];
        for (int i = 0; i < transitions; i++) {
            BreakerState next = breaker.state() == BreakerState.CLOSED ? BreakerState.OPEN : BreakerState.CLOSED;
            String expected = "\"state\":\"" + next.json() + "\"";
            long start = System.nanoTime();
            CompletableFuture<Long> onApi = CompletableFuture.supplyAsync(() -> pollUntil(health, expected, start));
            if (next == BreakerState.OPEN) {
                breaker.breaker().open();
            } else {
                breaker.breaker().close();
            }
            awaitState(topic, next, Duration.ofSeconds(30));
            topicLags[i] = System.nanoTime() - start;
            apiLags[i] = onApi.get(30, TimeUnit.SECONDS);
        }
        return new Lags(topicLags, apiLags);
    }

    private static long pollUntil(URI health, String expected, long start) {
        long deadline = start + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                String body = HTTP.send(HttpRequest.newBuilder(health).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
                int details = body.indexOf("\"llm_service\"");
                if (details >= 0 && body.indexOf(expected, details) >= 0) {
                    return System.nanoTime() - start;
                }
                TimeUnit.MILLISECONDS.sleep(2);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IllegalStateException("/health did not show " + expected + " within 30 s");
    }

    private static void awaitState(FleetHealth topic, BreakerState state, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            var health = topic.breakers().get(BreakerSettings.LLM_SERVICE.name());
            if (health != null && health.state() == state) {
                return;
            }
            TimeUnit.MICROSECONDS.sleep(200);
        }
        throw new IllegalStateException("breaker.health did not show " + state.json() + " within " + timeout.toSeconds() + " s");
    }

    private static void print(PrintStream out, String name, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        out.printf("BENCH %s-p50 %.1f ms%n", name, percentile(sorted, 50) / 1e6);
        out.printf("BENCH %s-p99 %.1f ms%n", name, percentile(sorted, 99) / 1e6);
        out.printf("BENCH %s-max %.1f ms%n", name, sorted[sorted.length - 1] / 1e6);
    }

    private static long percentile(long[] sorted, double percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(paths.toList());
            all.sort((a, b) -> b.getNameCount() - a.getNameCount());
            for (Path path : all) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // a temp directory; the OS cleans it eventually
        }
    }

    private record Lags(long[] topic, long[] api) {
    }
}
