package io.breakwater.ingest;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawlStatus;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.MalformedEventException;
import io.breakwater.core.store.CrawlStore;
import io.breakwater.core.topic.Topic;
import io.javalin.http.Context;

/**
 * {@code POST /api/v1/crawl} ({@code {"urls": [...], "depth": 0}}: one job per page, the same page one job) and
 * {@code GET /api/v1/crawl/{id}}. Thread-safe.
 */
final class CrawlRoutes {

    static final String PATH = "/api/v1/crawl";
    static final int MAX_URLS = 100;
    /** The longest id read from a path; longer ones get 400 without a look-up. */
    static final int MAX_ID = 128;

    private static final Logger log = LoggerFactory.getLogger(CrawlRoutes.class);
    private static final String EXAMPLE = "{\"urls\": [\"https://example.com/post\"], \"depth\": 0}";

    /** One accepted job, in a 202's body. */
    record AcceptedJob(String id, String url, CrawlStatus status, String location) {
    }

    /** The body of a 202. */
    record Accepted(List<AcceptedJob> jobs) {
    }

    private final EventPublisher publisher;
    private final Topic<String, CrawlJob> topic;
    private final CrawlStore store;
    private final StoreCalls calls;
    private final Clock clock;

    CrawlRoutes(EventPublisher publisher, Topic<String, CrawlJob> topic, CrawlStore store, StoreCalls calls,
                Clock clock) {
        this.publisher = publisher;
        this.topic = topic;
        this.store = store;
        this.calls = calls;
        this.clock = clock;
    }

    /** Answers 202 only once Kafka acknowledged every job. */
    void submit(Context ctx) {
        List<CrawlJob> jobs = jobs(ctx.bodyAsBytes(), clock.instant());
        List<CompletableFuture<?>> acknowledged = new ArrayList<>();
        jobs.forEach(job -> acknowledged.add(publisher.publish(topic, job.url(), job)));
        CompletableFuture<Void> done = CompletableFuture.allOf(acknowledged.toArray(CompletableFuture[]::new))
                .handle((ignored, error) -> {
                    if (error != null) {
                        log.warn("Crawl jobs not accepted: Kafka did not acknowledge them: {}", error.toString());
                        throw new ApiException(503, "The crawl jobs were not accepted because Kafka is unavailable ("
                                + error.getMessage() + "). Retry: the same URLs make the same jobs.");
                    }
                    return null;
                })
                .thenCompose(ignored -> calls.call(() -> {
                    jobs.forEach(this::recordQueued);
                    return null;
                }).exceptionally(error -> {
                    // On Kafka already: accepted. The record of it as queued is best effort.
                    log.warn("Crawl jobs accepted but not recorded as queued: {}", error.toString());
                    return null;
                }))
                .thenRun(() -> ctx.status(202).json(new Accepted(jobs.stream()
                        .map(job -> new AcceptedJob(job.id(), job.url(), CrawlStatus.QUEUED, PATH + "/" + job.id()))
                        .toList())));
        ctx.future(() -> done);
    }

    void find(Context ctx) {
        String id = ctx.pathParam("id");
        if (id.length() > MAX_ID) {
            throw ApiException.badRequest("A crawl job id is at most " + MAX_ID + " characters, but this one has "
                    + id.length() + ".");
        }
        CompletableFuture<Object> found = calls.call(() -> store.findJob(id).orElseThrow(() -> ApiException.notFound(
                "No crawl job with id '" + id + "'. Use an id that POST " + PATH + " returned.")));
        ctx.future(() -> found.thenAccept(ctx::json));
    }

    /** @throws ApiException 400 saying what is wrong and what to send instead */
    static List<CrawlJob> jobs(byte[] body, Instant now) {
        JsonNode json;
        try {
            json = EventJson.tree(body);
        } catch (MalformedEventException e) {
            throw ApiException.badRequest((body == null || body.length == 0 ? "The request body is empty"
                    : "The request body is not a JSON object") + ". Send one such as " + EXAMPLE + ".");
        }
        JsonNode urls = json.get("urls");
        if (urls == null || !urls.isArray() || urls.isEmpty()) {
            throw ApiException.badRequest("Field 'urls' must be a non-empty list of URLs, such as " + EXAMPLE + ".");
        }
        if (urls.size() > MAX_URLS) {
            throw ApiException.badRequest("Field 'urls' has " + urls.size() + " URLs; send at most " + MAX_URLS
                    + " at a time.");
        }
        JsonNode depthNode = json.get("depth");
        if (depthNode != null && !depthNode.isNull() && !depthNode.canConvertToExactIntegral()) {
            throw ApiException.badRequest("Field 'depth' must be a whole number from 0 to " + CrawlJob.MAX_DEPTH + ".");
        }
        int depth = depthNode == null || depthNode.isNull() ? 0 : depthNode.asInt();
        if (depth < 0 || depth > CrawlJob.MAX_DEPTH) {
            throw ApiException.badRequest("Field 'depth' must be 0 to " + CrawlJob.MAX_DEPTH + ", but was " + depth + ".");
        }
        Map<String, CrawlJob> jobs = new LinkedHashMap<>();
        for (int i = 0; i < urls.size(); i++) {
            JsonNode url = urls.get(i);
            if (!url.isTextual()) {
                throw ApiException.badRequest("urls[" + i + "] must be a string, but was "
                        + url.getNodeType().name().toLowerCase(Locale.ROOT) + ".");
            }
            try {
                CrawlJob job = new CrawlJob(url.asText(), depth, now);
                jobs.putIfAbsent(job.url(), job);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("urls[" + i + "]: " + e.getMessage().replaceFirst("^field 'url': ", "") + ".");
            }
        }
        return List.copyOf(jobs.values());
    }

    private void recordQueued(CrawlJob job) {
        try {
            store.recordQueued(job, clock.instant());
        } catch (RuntimeException e) {
            log.warn("Crawl job {} accepted but not recorded as queued (MongoDB: {})", job.url(), e.toString());
        }
    }
}
