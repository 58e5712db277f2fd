package io.breakwater.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topics;
import io.breakwater.ingest.IngestApi;

/**
 * The ingest API against a bare producer sending the same events with the same durability (acks=all, idempotent):
 * the most each accepts per second with the same number of callers waiting for their acknowledgement, and the API's
 * latency at half its own saturating load.
 */
final class ApiBenchmark {

    private static final int CALLERS = 16;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newFixedThreadPool(4)).build();

    private final BenchCluster cluster;
    private final Report report;
    private final Duration warmUp;
    private final Duration measure;

    ApiBenchmark(BenchCluster cluster, Report report, Scale scale) {
        this.cluster = cluster;
        this.report = report;
        this.warmUp = Duration.ofSeconds(scale.pick(1, 3, 5));
        this.measure = Duration.ofSeconds(scale.pick(2, 6, 20));
    }

    void run() throws Exception {
        Settings settings = cluster.run("api", Map.of());
        Topics topics = Topics.from(settings);
        double producerRate;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producer(
                KafkaSettings.from(settings), "bench-bare-producer"), new ByteArraySerializer(), new ByteArraySerializer())) {
            Caller send = () -> {
                QuestionEvent event = new QuestionEvent(UUID.randomUUID().toString(), "How long is the breakwater?",
                        Instant.now());
                producer.send(new ProducerRecord<>(topics.questions().name(), event.id().getBytes(StandardCharsets.UTF_8),
                        EventJson.encode(event))).get(30, TimeUnit.SECONDS);
            };
            closedLoop(send, warmUp);
            producerRate = closedLoop(send, measure).rate();
        }
        report.figure("producer/throughput", producerRate, "events/s", CALLERS + " callers, each waiting for its"
                + " acknowledgement (acks=all, idempotent)");

        try (IngestApi api = IngestApi.start(settings)) {
            URI questions = URI.create("http://127.0.0.1:" + api.port() + "/api/v1/questions");
            Caller post = () -> {
                HttpResponse<Void> response = HTTP.send(request(questions), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() != 202) {
                    throw new IllegalStateException("POST answered " + response.statusCode());
                }
            };
            closedLoop(post, warmUp);
            Run saturated = closedLoop(post, measure);
            report.figure("api/throughput", saturated.rate(), "POSTs/s", CALLERS + " callers, each waiting for its 202");
            report.ratio("api/producer", saturated.rate() / producerRate, "POSTs/s ÷ bare producer's events/s");
            report.figure("api/saturated-latency-p99", saturated.latencies().millis(99), "ms", "POST at saturation");

            double half = saturated.rate() / 2;
            // The client's connection pool grows to what this load needs during the warm-up, not while measuring.
            openLoop(questions, half, warmUp);
            Latencies atHalf = openLoop(questions, half, measure);
            String what = "POST at " + Math.round(half) + "/s, half the saturating load, " + atHalf.count() + " requests";
            report.figure("api/latency-p50", atHalf.millis(50), "ms", what);
            report.figure("api/latency-p99", atHalf.millis(99), "ms", what);
        }
    }

    private static HttpRequest request(URI questions) {
        return HttpRequest.newBuilder(questions).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"How long is the breakwater?\"}")).build();
    }

    @FunctionalInterface
    private interface Caller {
        void call() throws Exception;
    }

    private record Run(double rate, Latencies latencies) {
    }

    /** {@link #CALLERS} threads calling back to back for {@code duration}. */
    private static Run closedLoop(Caller caller, Duration duration) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(CALLERS);
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong failures = new AtomicLong();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        List<CompletableFuture<Void>> callers = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
            callers.add(CompletableFuture.runAsync(() -> {
                while (System.nanoTime() < end) {
                    long began = System.nanoTime();
                    try {
                        caller.call();
                        latencies.add(System.nanoTime() - began);
                    } catch (Exception e) {
                        if (failures.incrementAndGet() == 1) {
                            System.err.println("bench: a call failed: " + e);
                        }
                    }
                }
            }, threads));
        }
        CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get();
        long elapsed = System.nanoTime() - start;
        threads.shutdown();
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " calls failed");
        }
        long[] nanos = latencies.stream().mapToLong(Long::longValue).toArray();
        return new Run(nanos.length * 1e9 / elapsed, new Latencies(nanos));
    }

    /** Requests sent at a fixed rate whatever the answers do (no coordinated omission). */
    private static Latencies openLoop(URI questions, double perSecond, Duration duration) throws Exception {
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<?>> sent = new ArrayList<>();
        long intervalNanos = (long) (1e9 / perSecond);
        long start = System.nanoTime();
        long count = duration.toNanos() / intervalNanos;
        for (long i = 0; i < count; i++) {
            long due = start + i * intervalNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            sent.add(HTTP.sendAsync(request(questions), HttpResponse.BodyHandlers.discarding())
                    .thenAccept(response -> {
                        if (response.statusCode() == 202) {
                            latencies.add(System.nanoTime() - due);
                        }
                    }));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        return new Latencies(latencies.stream().mapToLong(Long::longValue).toArray());
    }
}
