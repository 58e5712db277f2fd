package io.breakwater.crawler;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRulesParser;

import io.breakwater.core.breaker.DependencyUnavailableException;

/**
 * Each site's robots.txt (crawler-commons), fetched once per origin and trusted for {@code crawler.robots.ttl}.
 * A missing robots.txt (4xx) allows everything; one the site cannot serve (5xx, no answer) means the site is in
 * trouble, which the caller's breaker hears about. Thread-safe.
 */
final class RobotsRules {

    /** The longest Crawl-delay honoured: a site asking for more is visited once a minute. */
    static final Duration MAX_CRAWL_DELAY = Duration.ofMinutes(1);

    private final HttpClient client;
    private final CrawlerSettings settings;
    private final Clock clock;
    private final SimpleRobotRulesParser parser = new SimpleRobotRulesParser();
    private final Map<String, Cached> byOrigin = new ConcurrentHashMap<>();

    RobotsRules(HttpClient client, CrawlerSettings settings, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
    }

    /** Whether the site lets us fetch {@code uri}. @throws DependencyUnavailableException if it cannot say */
    boolean allows(URI uri) {
        return rules(uri).isAllowed(uri.toString());
    }

    /** The Crawl-delay the site asks of us, if any (capped at a minute). */
    Duration crawlDelay(URI uri) {
        long delay = rules(uri).getCrawlDelay();
        return delay <= 0 ? Duration.ZERO : Duration.ofMillis(Math.min(delay, MAX_CRAWL_DELAY.toMillis()));
    }

    private BaseRobotRules rules(URI uri) {
        String origin = uri.getScheme() + "://" + uri.getRawAuthority();
        Instant now = clock.instant();
        Cached cached = byOrigin.get(origin);
        if (cached != null && cached.until().isAfter(now)) {
            return cached.rules();
        }
        BaseRobotRules rules = fetch(origin);
        byOrigin.put(origin, new Cached(rules, now.plus(settings.robotsTtl())));
        return rules;
    }

    private BaseRobotRules fetch(String origin) {
        String url = origin + "/robots.txt";
        HttpResponse<byte[]> response;
        try {
            response = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(settings.fetchTimeout())
                    .header("User-Agent", settings.userAgent()).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new DependencyUnavailableException(origin + " did not serve its robots.txt: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DependencyUnavailableException("interrupted reading " + url, e);
        }
        int status = response.statusCode();
        if (status >= 500 || status == 429) {
            throw new DependencyUnavailableException(origin + " answered HTTP " + status + " for its robots.txt");
        }
        if (status >= 200 && status < 300) {
            String type = response.headers().firstValue("Content-Type").orElse("text/plain");
            return parser.parseContent(url, response.body(), type, List.of(CrawlerSettings.ROBOT_NAME));
        }
        // No robots.txt (or a redirect we do not chase for it): nothing is forbidden.
        return new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_ALL);
    }

    private record Cached(BaseRobotRules rules, Instant until) {
    }
}
