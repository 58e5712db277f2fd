package io.breakwater.crawler;

import java.time.Duration;

/** How fetching one URL ended, short of the host being unreachable (which throws, for its breaker). */
sealed interface FetchResult {

    /**
     * The page, ready to extract.
     *
     * @param finalUrl where it was found, after redirects (normalized)
     * @param contentType its media type, without parameters ({@code text/html})
     * @param charset the charset its Content-Type named, if any
     */
    record Fetched(String finalUrl, String contentType, String charset, byte[] body) implements FetchResult {
    }

    /**
     * Deliberately not fetched, and not to be retried: the site asked us not to, or the page is not something
     * to index.
     *
     * @param reason {@code robots}, {@code size} or {@code type}
     * @param detail what exactly, for people
     */
    record Skipped(String reason, String detail) implements FetchResult {
    }

    /**
     * Not fetched, for a reason retrying will not change: refused address, redirect loop, a 4xx.
     *
     * @param reason for people
     */
    record Failed(String reason) implements FetchResult {
    }

    /**
     * Not fetched yet: the host's robots.txt, read for this fetch, asks for a longer gap between requests than the
     * one its turn was given under, and its last request went out less than that gap ago.
     *
     * @param until how long until the host's next request may go out
     */
    record Deferred(Duration until) implements FetchResult {
    }
}
