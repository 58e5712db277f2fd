package io.breakwater.crawler;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import io.breakwater.core.config.Settings;

/**
 * How the crawler fetches.
 *
 * @param allowedHosts {@code crawler.allowed.hosts}: hosts fetched even though they resolve to internal addresses
 *     (comma-separated; empty by default)
 * @param userAgent {@code crawler.user.agent}: names the project and where to read about it
 * @param maxBytes {@code crawler.max.bytes} (default 2 MB): larger bodies are skipped
 * @param maxRedirects {@code crawler.max.redirects} (default 5)
 * @param fetchTimeout {@code crawler.timeout.seconds} (default 20): for one request, body included
 * @param politeness {@code crawler.politeness.seconds} (default 1): the least time between two requests to one host;
 *     a longer {@code Crawl-delay} in its robots.txt wins, up to a minute
 * @param robotsTtl {@code crawler.robots.ttl.seconds} (default 3600): how long a host's robots.txt is trusted
 */
public record CrawlerSettings(Set<String> allowedHosts, String userAgent, int maxBytes, int maxRedirects,
                              Duration fetchTimeout, Duration politeness, Duration robotsTtl) {

    public static final String DEFAULT_USER_AGENT = "BreakwaterCrawler/0.1 (+https://github.com/breakwater; polite, honours robots.txt)";
    /** The name matched against robots.txt groups. */
    public static final String ROBOT_NAME = "breakwatercrawler";

    public static CrawlerSettings from(Settings settings) {
        Set<String> allowed = Arrays.stream(settings.string("crawler.allowed.hosts", "").split(","))
                .map(String::strip).filter(host -> !host.isEmpty()).collect(Collectors.toUnmodifiableSet());
        CrawlerSettings crawler = new CrawlerSettings(allowed, settings.string("crawler.user.agent", DEFAULT_USER_AGENT),
                settings.integer("crawler.max.bytes", 2 * 1024 * 1024), settings.integer("crawler.max.redirects", 5),
                settings.seconds("crawler.timeout.seconds", Duration.ofSeconds(20)),
                settings.seconds("crawler.politeness.seconds", Duration.ofSeconds(1)),
                settings.seconds("crawler.robots.ttl.seconds", Duration.ofHours(1)));
        if (crawler.maxBytes < 1) {
            throw Settings.invalid("crawler.max.bytes", crawler.maxBytes, "at least 1");
        }
        if (crawler.maxRedirects < 0) {
            throw Settings.invalid("crawler.max.redirects", crawler.maxRedirects, "0 or more");
        }
        return crawler;
    }
}
