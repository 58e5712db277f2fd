package io.breakwater.launcher.faults;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.event.EventJson;
import io.breakwater.testkit.TestSite;

/**
 * The inputs of a fault-injection run: questions (a quarter through {@code POST /api/v1/questions} with chosen ids,
 * the rest produced straight to the questions topic) at a steady rate, and crawl jobs through the API to a
 * {@link TestSite}. Keeps what was accepted, what is indeterminate (a timeout or a 5xx: it may or may not have been
 * queued) and why. Each question's text holds a token ({@code [q<n>]}) that names it in the LLM's requests.
 * Thread-safe for one feeding thread and any number of readers.
 */
public final class Feeder {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final int BATCH = 5;
    private static final Duration PAUSE = Duration.ofMillis(100);
    private static final String[] PAGES = {"/index.html", "/second.html", "/notes.txt", "/boom.html"};

    private final KafkaProducer<String, String> producer;
    private final String questionsTopic;
    private final int apiPort;
    private final TestSite site;
    private final long seed;
    private final Consumer<String> log;
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final Set<String> accepted = ConcurrentHashMap.newKeySet();
    private final Map<String, String> indeterminate = new ConcurrentHashMap<>();
    private final Set<String> crawlAccepted = ConcurrentHashMap.newKeySet();

    public Feeder(KafkaProducer<String, String> producer, String questionsTopic, int apiPort, TestSite site, long seed,
                  Consumer<String> log) {
        this.producer = producer;
        this.questionsTopic = questionsTopic;
        this.apiPort = apiPort;
        this.site = site;
        this.seed = seed;
        this.log = log;
    }

    /** Question ids the pipeline accepted: a 202, or an acknowledged record. */
    public Set<String> accepted() {
        return Set.copyOf(accepted);
    }

    /** Question ids sent with no answer either way, and why. */
    public Map<String, String> indeterminate() {
        return Map.copyOf(indeterminate);
    }

    public Set<String> crawlAccepted() {
        return Set.copyOf(crawlAccepted);
    }

    /** The id of the question whose text holds {@code [token]}, or the token itself if none. */
    public String idOf(String token) {
        return tokens.getOrDefault(token, token);
    }

    /** Sends questions {@code from} to {@code from + questions - 1} and {@code crawlJobs} crawl jobs. */
    public void feed(int from, int questions, int crawlJobs) {
        long feedStart = System.nanoTime();
        List<Map.Entry<String, Future<RecordMetadata>>> sent = new ArrayList<>();
        for (int n = from; n < from + questions; n++) {
            String token = "q" + n;
            String id = "f" + Long.toHexString(seed & 0xffffff) + "-" + n;
            tokens.put(token, id);
            String text = "What shelters the quay, question [" + token + "]?";
            if (n % 4 == 0) {
                viaApi(id, text);
            } else {
                String value = "{\"id\":\"" + id + "\",\"question\":\"" + text + "\"}";
                sent.add(Map.entry(id, producer.send(new ProducerRecord<>(questionsTopic, id, value))));
            }
            if ((n + 1) % BATCH == 0) {
                pause(); // a steady arrival rate, so that faults meet work in flight
            }
        }
        for (Map.Entry<String, Future<RecordMetadata>> send : sent) {
            try {
                send.getValue().get(2, TimeUnit.MINUTES);
                accepted.add(send.getKey());
            } catch (Exception e) {
                indeterminate.put(send.getKey(), "produce: " + e);
            }
        }
        for (int j = 0; j < crawlJobs; j++) {
            crawl(site.url(PAGES[j % PAGES.length] + "?v=" + from + "-" + j));
        }
        log.accept("fed questions " + from + ".." + (from + questions - 1) + " and " + crawlJobs + " crawl jobs in "
                + (System.nanoTime() - feedStart) / 1_000_000 + " ms");
    }

    private void viaApi(String id, String text) {
        try {
            HttpResponse<String> response = post("/api/v1/questions", "{\"id\":\"" + id + "\",\"question\":\"" + text + "\"}");
            if (response.statusCode() == 202) {
                accepted.add(id);
            } else if (response.statusCode() >= 500) {
                // "nothing was queued", but a send that timed out may still land: neither accepted nor refused
                indeterminate.put(id, "POST " + response.statusCode() + " " + response.body());
            }
        } catch (Exception e) {
            indeterminate.put(id, "POST: " + e);
        }
    }

    private void crawl(String url) {
        try {
            HttpResponse<String> response = post("/api/v1/crawl", "{\"urls\":[\"" + url + "\"],\"depth\":0}");
            if (response.statusCode() == 202) {
                for (JsonNode job : EventJson.mapper().readTree(response.body()).get("jobs")) {
                    crawlAccepted.add(job.get("id").asText());
                }
            }
        } catch (Exception e) {
            // not accepted as far as anyone knows; a crawl job is not checked unless accepted
        }
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
                .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(PAUSE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
