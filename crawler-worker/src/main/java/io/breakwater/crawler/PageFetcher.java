package io.breakwater.crawler;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.crawl.CrawlUrl;
import io.breakwater.core.time.OutsideTime;

/**
 * Fetches one page as a good and careful citizen: only addresses the {@link AddressGuard} allows (checked again on
 * every redirect), only what robots.txt allows, one request per host per politeness gap (see {@link #awaitTurn}),
 * a user agent that names the project, at most {@code maxRedirects} redirects, {@code maxBytes} of body and
 * {@code fetchTimeout}, and only HTML or plain text. A host that does not answer, or answers 5xx or 429, throws
 * {@link DependencyUnavailableException}: that is for its breaker to count. Thread-safe.
 */
final class PageFetcher {

    private static final Set<String> TEXT_TYPES = Set.of("text/html", "application/xhtml+xml", "text/plain");

    private final HttpClient client;
    private final AddressGuard guard;
    private final RobotsRules robots;
    private final HostPacer pacer;
    private final CrawlerSettings settings;

    PageFetcher(HttpClient client, AddressGuard guard, RobotsRules robots, HostPacer pacer, CrawlerSettings settings) {
        this.client = client;
        this.guard = guard;
        this.robots = robots;
        this.pacer = pacer;
        this.settings = settings;
    }

    /** An HTTP client for crawling: redirects are followed here, each checked, never by the client itself. */
    static HttpClient newClient(CrawlerSettings settings) {
        return HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.fetchTimeout().compareTo(Duration.ofSeconds(10)) < 0
                        ? settings.fetchTimeout() : Duration.ofSeconds(10))
                .build();
    }

    /**
     * A host's turn.
     *
     * @param later empty once it is this caller's turn; how long until the host's next turn if that is further
     *     away, and nothing was reserved: the caller should set the job aside for that long instead of holding a
     *     thread
     * @param gap the gap between the host's requests that the turn was reserved under
     */
    record Turn(Optional<Duration> later, Duration gap) {
    }

    /**
     * Waits, outside any breaker, for the turn of {@code url}'s host (the politeness gap, or a longer Crawl-delay
     * from its robots.txt, if that is in hand) when it is at most {@link HostPacer#MAX_TURN_WAIT} away.
     */
    Turn awaitTurn(String url) throws InterruptedException {
        URI uri = URI.create(url);
        Duration gap = max(settings.politeness(), robots.knownCrawlDelay(uri));
        return new Turn(pacer.awaitTurn(uri.getHost(), gap), gap);
    }

    /**
     * Fetches {@code url} at once: the caller has had its turn from {@link #awaitTurn}. Redirects within one fetch
     * are followed at once too, and push each host's next turn back by its gap.
     *
     * @param url a normalized http(s) URL
     * @param turnGap the gap {@code url}'s turn was reserved under ({@link Turn#gap}): should robots.txt, read only
     *     now, ask for a longer Crawl-delay, the request waits until that long after the host's last one
     * @return {@link FetchResult.Deferred} if it must wait so
     * @throws DependencyUnavailableException if the host did not answer, or answered that it is in trouble
     */
    FetchResult fetch(String url, Duration turnGap) {
        String current = url;
        for (int redirects = 0; ; redirects++) {
            URI uri = URI.create(current);
            Optional<String> refused;
            try {
                refused = guard.refusal(uri);
            } catch (UnknownHostException e) {
                return new FetchResult.Failed("the host " + uri.getHost() + " does not resolve");
            }
            if (refused.isPresent()) {
                return new FetchResult.Failed("refused: " + refused.get());
            }
            if (!robots.allows(uri)) {
                return new FetchResult.Skipped("robots", "robots.txt of " + uri.getHost() + " disallows " + uri.getRawPath());
            }
            if (redirects == 0) {
                // Jobs for a host first seen were given turns before its robots.txt was read: a Crawl-delay it asks
                // for holds from its first request on, theirs too, not from the turns reserved after it was read.
                Duration gap = max(settings.politeness(), robots.crawlDelay(uri));
                if (gap.compareTo(turnGap) > 0) {
                    Optional<Duration> early = pacer.claim(uri.getHost(), gap);
                    if (early.isPresent()) {
                        return new FetchResult.Deferred(early.get());
                    }
                }
            }
            HttpResponse<InputStream> response = send(uri);
            try (InputStream body = response.body()) {
                int status = response.statusCode();
                if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                    if (redirects >= settings.maxRedirects()) {
                        return new FetchResult.Failed("more than " + settings.maxRedirects() + " redirects from " + url
                                + " (a redirect loop?)");
                    }
                    try {
                        current = CrawlUrl.normalize(uri.resolve(response.headers().firstValue("Location").get()).toString());
                    } catch (IllegalArgumentException e) {
                        return new FetchResult.Failed("redirected to an address that cannot be crawled: " + e.getMessage());
                    }
                    continue;
                }
                if (status == 429 || status >= 500) {
                    throw new DependencyUnavailableException(uri.getHost() + " answered HTTP " + status,
                            retryAfter(response), null);
                }
                if (status < 200 || status >= 300) {
                    return new FetchResult.Failed(current + " answered HTTP " + status);
                }
                return read(current, response, body);
            } catch (IOException e) {
                throw new DependencyUnavailableException(uri.getHost() + " broke off while sending " + current + ": " + e, e);
            }
        }
    }

    private HttpResponse<InputStream> send(URI uri) {
        try {
            pacer.sending(uri.getHost(), max(settings.politeness(), robots.crawlDelay(uri)));
            return client.send(HttpRequest.newBuilder(uri).timeout(settings.fetchTimeout())
                    .header("User-Agent", settings.userAgent())
                    .header("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1")
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new DependencyUnavailableException(uri.getHost() + " did not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DependencyUnavailableException("interrupted fetching " + uri, e);
        }
    }

    private FetchResult read(String url, HttpResponse<InputStream> response, InputStream body) throws IOException {
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!TEXT_TYPES.contains(mediaType)) {
            return new FetchResult.Skipped("type", url + " is " + (mediaType.isEmpty() ? "of no stated type" : mediaType)
                    + ", not HTML or plain text");
        }
        OptionalLong length = response.headers().firstValueAsLong("Content-Length");
        if (length.isPresent() && length.getAsLong() > settings.maxBytes()) {
            return tooLarge(url, length.getAsLong() + " bytes");
        }
        byte[] bytes = BoundedBody.read(body, settings.maxBytes() + 1, Clock.systemUTC(), settings.fetchTimeout());
        if (bytes.length > settings.maxBytes()) {
            return tooLarge(url, "more than " + settings.maxBytes() + " bytes");
        }
        String charset = null;
        for (String parameter : contentType.split(";")) {
            String[] pair = parameter.strip().split("=", 2);
            if (pair.length == 2 && pair[0].equalsIgnoreCase("charset")) {
                charset = pair[1].replace("\"", "").strip();
            }
        }
        return new FetchResult.Fetched(url, mediaType, charset, bytes);
    }

    private FetchResult tooLarge(String url, String size) {
        return new FetchResult.Skipped("size", url + " is " + size + "; the limit is " + settings.maxBytes()
                + " bytes (BW_CRAWLER_MAX_BYTES)");
    }

    /** The host's Retry-After, read leniently (seconds, fractions, HTTP dates) and clamped to an hour. */
    private static Duration retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(OutsideTime::retryAfter).orElse(null);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
