package io.breakwater.crawler;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRulesParser;

import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.time.OutsideTime;

/**
 * Each site's robots.txt (crawler-commons), fetched once per origin and trusted for {@code crawler.robots.ttl}.
 * A missing robots.txt (4xx) allows everything; one the site cannot serve (5xx, no answer) means the site is in
 * trouble, which the caller's breaker hears about. Read through the same guards as a page: the fetch timeout, and
 * at most {@link #MAX_ROBOTS_BYTES}; a longer one is cut there and its first part parsed, as Google does. Origins
 * are remembered in a Caffeine cache of at most {@link #MAX_ORIGINS}, each forgotten after {@code robotsTtl} or
 * {@link #IDLE_EXPIRY} unused. Thread-safe.
 */
final class RobotsRules {

    /** The longest Crawl-delay honoured: a site asking for more is visited once a minute. */
    static final Duration MAX_CRAWL_DELAY = Duration.ofMinutes(1);
    /** The most of a robots.txt read (crawler-commons' guidance, and Google's limit, is 500 KiB); the rest is ignored. */
    static final int MAX_ROBOTS_BYTES = 500 * 1024;
    /** Origins whose robots.txt is remembered, at most. */
    static final long MAX_ORIGINS = 10_000;
    /** An origin not crawled for this long is forgotten (and asked again when next crawled). */
    static final Duration IDLE_EXPIRY = Duration.ofMinutes(30);

    private static final Logger log = LoggerFactory.getLogger(RobotsRules.class);

    private final HttpClient client;
    private final CrawlerSettings settings;
    private final Clock clock;
    private final SimpleRobotRulesParser parser = new SimpleRobotRulesParser();
    private final Cache<String, Cached> byOrigin = Caffeine.newBuilder().maximumSize(MAX_ORIGINS)
            .expireAfterAccess(IDLE_EXPIRY).build();

    RobotsRules(HttpClient client, CrawlerSettings settings, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
    }

    /** Whether the site lets us fetch {@code uri}. @throws DependencyUnavailableException if it cannot say */
    boolean allows(URI uri) {
        return rules(uri).isAllowed(uri.toString());
    }

    /** The Crawl-delay the site asks of us, if any (capped at a minute). Fetches robots.txt if need be. */
    Duration crawlDelay(URI uri) {
        return delayOf(rules(uri));
    }

    /** The Crawl-delay of a robots.txt already in hand, zero if none is: never sends a request. */
    Duration knownCrawlDelay(URI uri) {
        Cached cached = byOrigin.getIfPresent(origin(uri));
        return cached == null ? Duration.ZERO : delayOf(cached.rules());
    }

    /** Origins remembered now (for tests). */
    long size() {
        byOrigin.cleanUp();
        return byOrigin.estimatedSize();
    }

    private static Duration delayOf(BaseRobotRules rules) {
        long delay = rules.getCrawlDelay();
        return delay <= 0 ? Duration.ZERO : Duration.ofMillis(Math.min(delay, MAX_CRAWL_DELAY.toMillis()));
    }

    private static String origin(URI uri) {
        return uri.getScheme() + "://" + uri.getRawAuthority();
    }

    private BaseRobotRules rules(URI uri) {
        String origin = origin(uri);
        Instant now = clock.instant();
        Cached cached = byOrigin.getIfPresent(origin);
        if (cached != null && cached.until().isAfter(now)) {
            return cached.rules();
        }
        BaseRobotRules rules = fetch(origin);
        byOrigin.put(origin, new Cached(rules, OutsideTime.plusSaturated(now, settings.robotsTtl())));
        return rules;
    }

    private BaseRobotRules fetch(String origin) {
        String url = origin + "/robots.txt";
        HttpResponse<InputStream> response;
        try {
            response = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(settings.fetchTimeout())
                    .header("User-Agent", settings.userAgent()).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new DependencyUnavailableException(origin + " did not serve its robots.txt: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DependencyUnavailableException("interrupted reading " + url, e);
        }
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status >= 500 || status == 429) {
                throw new DependencyUnavailableException(origin + " answered HTTP " + status + " for its robots.txt");
            }
            if (status >= 200 && status < 300) {
                byte[] bytes = BoundedBody.read(body, MAX_ROBOTS_BYTES, clock, settings.fetchTimeout());
                if (bytes.length >= MAX_ROBOTS_BYTES) {
                    log.info("The robots.txt of {} is longer than {} bytes; only its first {} bytes are read", origin,
                            MAX_ROBOTS_BYTES, MAX_ROBOTS_BYTES);
                }
                String type = response.headers().firstValue("Content-Type").orElse("text/plain");
                return parser.parseContent(url, bytes, type, List.of(CrawlerSettings.ROBOT_NAME));
            }
            // No robots.txt (or a redirect we do not chase for it): nothing is forbidden.
            return new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_ALL);
        } catch (IOException e) {
            throw new DependencyUnavailableException(origin + " broke off while sending its robots.txt: " + e, e);
        }
    }

    private record Cached(BaseRobotRules rules, Instant until) {
    }
}
