package io.breakwater.core.crawl;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

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
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static CrawlStatus of(String value) {
        for (CrawlStatus status : values()) {
            if (status.json().equals(value)) {
                return status;
            }
        }
        throw new IllegalArgumentException("status must be queued, parked, fetched, skipped or failed, not '" + value + "'");
    }
}
