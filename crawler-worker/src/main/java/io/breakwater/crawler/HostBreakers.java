package io.breakwater.crawler;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.Settings;

/**
 * One breaker per crawled host, {@code crawler:<host>}, made when the host is first crawled, so one dead site does
 * not stop the others. All share the figures of {@code breaker.crawler.*} (by default the seed's: 5 failures, 90 s
 * open). Each new breaker is handed to {@code onNew} (to report it and feed it the fleet's view). Thread-safe.
 */
final class HostBreakers {

    /** The seed's crawler figures: most tolerant of the breakers (external sites), open 90 s. */
    static final BreakerSettings CRAWLER = new BreakerSettings("crawler", 5, 1, Duration.ofSeconds(90),
            Duration.ofSeconds(25), 1, Duration.ofSeconds(1), Duration.ofSeconds(8));

    private final BreakerSettings figures;
    private final BreakerPolicy.Identity identity;
    private final FleetSettings fleet;
    private final Clock clock;
    private final Consumer<BreakerPolicy> onNew;
    private final Map<String, BreakerPolicy> byHost = new ConcurrentHashMap<>();

    HostBreakers(Settings settings, CrawlerSettings crawler, BreakerPolicy.Identity identity, FleetSettings fleet,
                 Clock clock, Consumer<BreakerPolicy> onNew) {
        // A fetch must be able to finish before the breaker's timeout cuts it off.
        BreakerSettings defaults = new BreakerSettings(CRAWLER.name(), CRAWLER.failureThreshold(),
                CRAWLER.successThreshold(), CRAWLER.openDuration(), crawler.fetchTimeout().plusSeconds(5),
                CRAWLER.maxRetries(), CRAWLER.retryDelay(), CRAWLER.retryMaxDelay());
        this.figures = BreakerSettings.from(settings, defaults);
        this.identity = identity;
        this.fleet = fleet;
        this.clock = clock;
        this.onNew = onNew;
    }

    /** The breaker of {@code host}, made on first use. */
    BreakerPolicy forHost(String host) {
        String key = host.toLowerCase(Locale.ROOT);
        return byHost.computeIfAbsent(key, ignored -> {
            BreakerPolicy breaker = new BreakerPolicy(new BreakerSettings("crawler:" + key, figures.failureThreshold(),
                    figures.successThreshold(), figures.openDuration(), figures.callTimeout(), figures.maxRetries(),
                    figures.retryDelay(), figures.retryMaxDelay()), identity, fleet.share(), fleet.latencyWindow(), clock);
            onNew.accept(breaker);
            return breaker;
        });
    }

    /** The breaker of {@code host}, if it has been crawled. */
    BreakerPolicy existing(String host) {
        return byHost.get(host.toLowerCase(Locale.ROOT));
    }
}
