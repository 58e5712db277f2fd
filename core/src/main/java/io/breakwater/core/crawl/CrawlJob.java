package io.breakwater.core.crawl;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A page to crawl: the value on {@code crawl.jobs}, keyed by its normalized URL, so the same page is one job however
 * it was written. Producers must give {@code url} (any form: it is normalized on reading); unknown fields are
 * ignored. Its {@link #id} is a short, URL-safe name of the normalized URL, for {@code GET /api/v1/crawl/{id}}.
 *
 * @param schemaVersion the event schema's version; missing means {@value #SCHEMA_VERSION}
 * @param url the page's normalized URL ({@link CrawlUrl#normalize})
 * @param depth how many links deep to follow from this page, on its own host: 0 (the default) to {@value #MAX_DEPTH}
 * @param requestedAt when it was accepted, if the producer says
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CrawlJob(int schemaVersion, String url, int depth, Instant requestedAt) {

    public static final int SCHEMA_VERSION = 1;
    public static final int MAX_DEPTH = 3;

    public CrawlJob {
        schemaVersion = schemaVersion == 0 ? SCHEMA_VERSION : schemaVersion;
        if (url == null) {
            throw new IllegalArgumentException("field 'url' is required");
        }
        try {
            url = CrawlUrl.normalize(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'url': " + e.getMessage(), e);
        }
        if (depth < 0 || depth > MAX_DEPTH) {
            throw new IllegalArgumentException("field 'depth' must be 0 to " + MAX_DEPTH + " but was " + depth);
        }
    }

    public CrawlJob(String url, int depth, Instant requestedAt) {
        this(SCHEMA_VERSION, url, depth, requestedAt);
    }

    /** The job's id: {@link CrawlUrl#id} of its URL. */
    public String id() {
        return CrawlUrl.id(url);
    }
}
