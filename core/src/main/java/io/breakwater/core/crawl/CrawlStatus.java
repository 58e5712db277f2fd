package io.breakwater.core.crawl;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import io.breakwater.core.event.WireNames;

/** Where a crawl job stands: {@code queued}, {@code parked}, {@code fetched}, {@code skipped} or {@code failed}. */
public enum CrawlStatus {
    /** Accepted, not yet fetched. */
    QUEUED,
    /** Its host's breaker is open, or the fetch failed for now: it will be tried again. */
    PARKED,
    /** Fetched and stored (or found unchanged). */
    FETCHED,
    /** Deliberately not fetched: robots.txt, size or type. */
    SKIPPED,
    /** Not fetched, for a reason retrying will not change. */
    FAILED;

    @JsonValue
    public String json() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static CrawlStatus of(String value) {
        return WireNames.parse(CrawlStatus.class, "status", value);
    }
}
