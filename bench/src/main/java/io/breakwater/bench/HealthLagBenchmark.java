package io.breakwater.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.BreakerReporter;
import io.breakwater.core.breaker.FleetHealth;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.topic.Topics;
import io.breakwater.ingest.IngestApi;
import io.breakwater.state.BreakerStateApp;

/**
 * How long a breaker transition takes to show on {@code breaker.health} (as any consumer of the topic sees it) and on
 * {@code /health}, over many transitions: a breaker reporting as a worker's does, the breaker-state app folding, the
 * ingest API serving. Prints percentiles; asserts nothing.
 */
final class HealthLagBenchmark {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final BenchCluster cluster;
    private final Report report;
    private final int transitions;

    HealthLagBenchmark(BenchCluster cluster, Report report, Scale scale) {
        this.cluster = cluster;
        this.report = report;
        this.transitions = scale.pick(10, 60, 300);
    }

    void run() throws Exception {
        Settings settings = cluster.run("health", Map.of());
        Topics topics = Topics.from(settings);
        try (BreakerStateApp app = BreakerStateApp.start(settings, Duration.ofSeconds(60), error -> { });
             IngestApi api = IngestApi.start(settings);
             FleetHealth topic = FleetHealth.follow(KafkaSettings.from(settings), topics.breakerHealth(), "bench-health")) {
            BreakerPolicy breaker = new BreakerPolicy(Dependencies.LLM_SERVICE,
                    new BreakerPolicy.Identity("bench", Clock.systemUTC().instant()), false, Duration.ofSeconds(60),
                    Clock.systemUTC());
            try (BreakerReporter reporter = BreakerReporter.start(KafkaSettings.from(settings), topics.breakerEvents(),
                    List.of(breaker), Duration.ofSeconds(5), "bench-reporter")) {
                awaitState(topic, BreakerState.CLOSED, Duration.ofSeconds(30));
                URI health = URI.create("http://127.0.0.1:" + api.port() + "/health");
                // Warm-up: the first transitions pay for class loading and connection set-up.
                measure(breaker, topic, health, 10);
                Lags lags = measure(breaker, topic, health, transitions);
                String what = transitions + " transitions of llm_service, closed and open in turn";
                Latencies onTopic = new Latencies(lags.topic());
                Latencies onApi = new Latencies(lags.api());
                report.figure("health/transition-to-topic-p50", onTopic.millis(50), "ms", what + ", to a read_committed"
                        + " consumer of breaker.health");
                report.figure("health/transition-to-topic-p99", onTopic.millis(99), "ms", what);
                report.figure("health/transition-to-api-p50", onApi.millis(50), "ms", what + ", to GET /health polled"
                        + " every 2 ms");
                report.figure("health/transition-to-api-p99", onApi.millis(99), "ms", what);
            }
        }
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
            var health = topic.breakers().get(Dependencies.LLM_SERVICE.name());
            if (health != null && health.state() == state) {
                return;
            }
            TimeUnit.MICROSECONDS.sleep(200);
        }
        throw new IllegalStateException("breaker.health did not show " + state.json() + " within " + timeout.toSeconds() + " s");
    }

    private record Lags(long[] topic, long[] api) {
    }
}
