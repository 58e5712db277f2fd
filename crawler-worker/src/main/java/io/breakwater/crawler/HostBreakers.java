package io.breakwater.crawler;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.health.BreakerState;

/**
 * One breaker per crawled host, {@code crawler:<host>}, made when the host is first crawled, so one dead site does
 * not stop the others. All share the figures of {@code breaker.crawler.*} (by default the seed's: 5 failures, 90 s
 * open). Each new breaker is handed to {@code onNew} (to report it and feed it the fleet's view), each one let go to
 * {@code onGone}.
 *
 * <p>Hosts are named by outsiders, so the breakers are bounded (Caffeine): at most {@link #MAX_HOSTS}, and one not
 * used for {@link #MIN_IDLE_EXPIRY} (or twice its open time, if longer) is let go; a host crawled again later starts
 * with a closed breaker, as a host not seen for that long deserves. A breaker pushed out by the size bound while
 * open is kept aside ({@link #MAX_PINNED} at most) until its open time is over, so a dead site is not flooded again
 * because a burst of other hosts came along. Thread-safe.
 */
final class HostBreakers {

    /** The seed's crawler figures ({@link Dependencies#CRAWLER}). */
    static final BreakerSettings CRAWLER = Dependencies.CRAWLER;
    /** Host breakers kept, at most. */
    static final long MAX_HOSTS = 1_000;
    /** Open host breakers kept beyond {@link #MAX_HOSTS} until their open time is over, at most. */
    static final int MAX_PINNED = 1_000;
    /** A host breaker unused this long (or twice its open time, if longer) is let go. */
    static final Duration MIN_IDLE_EXPIRY = Duration.ofMinutes(10);

    private final BreakerSettings figures;
    private final BreakerPolicy.Identity identity;
    private final FleetSettings fleet;
    private final Clock clock;
    private final Consumer<BreakerPolicy> onNew;
    private final Consumer<BreakerPolicy> onGone;
    private final Cache<String, BreakerPolicy> byHost;
    private final Map<String, BreakerPolicy> pinned = new ConcurrentHashMap<>();

    HostBreakers(Settings settings, CrawlerSettings crawler, BreakerPolicy.Identity identity, FleetSettings fleet,
                 Clock clock, Consumer<BreakerPolicy> onNew, Consumer<BreakerPolicy> onGone) {
        this(settings, crawler, identity, fleet, clock, onNew, onGone, MAX_HOSTS);
    }

    HostBreakers(Settings settings, CrawlerSettings crawler, BreakerPolicy.Identity identity, FleetSettings fleet,
                 Clock clock, Consumer<BreakerPolicy> onNew, Consumer<BreakerPolicy> onGone, long maxHosts) {
        // A fetch must be able to finish before the breaker's timeout cuts it off.
        BreakerSettings defaults = new BreakerSettings(CRAWLER.name(), CRAWLER.failureThreshold(),
                CRAWLER.successThreshold(), CRAWLER.openDuration(), crawler.fetchTimeout().plusSeconds(5),
                CRAWLER.maxRetries(), CRAWLER.retryDelay(), CRAWLER.retryMaxDelay());
        this.figures = BreakerSettings.from(settings, defaults);
        this.identity = identity;
        this.fleet = fleet;
        this.clock = clock;
        this.onNew = onNew;
        this.onGone = onGone;
        Duration twiceOpen = figures.openDuration().multipliedBy(2);
        this.byHost = Caffeine.newBuilder().maximumSize(maxHosts)
                .expireAfterAccess(twiceOpen.compareTo(MIN_IDLE_EXPIRY) > 0 ? twiceOpen : MIN_IDLE_EXPIRY)
                .executor(Runnable::run)
                .<String, BreakerPolicy>evictionListener((host, breaker, cause) -> evicted(host, breaker, cause))
                .build();
    }

    /** The breaker of {@code host}, made on first use. */
    BreakerPolicy forHost(String host) {
        String key = host.toLowerCase(Locale.ROOT);
        releaseClosedPinned();
        return byHost.get(key, ignored -> {
            BreakerPolicy kept = pinned.remove(key);
            return kept != null ? kept : newBreaker(key);
        });
    }

    /** The breaker of {@code host}, if it has been crawled (and not let go since). */
    BreakerPolicy existing(String host) {
        String key = host.toLowerCase(Locale.ROOT);
        BreakerPolicy breaker = byHost.getIfPresent(key);
        return breaker != null ? breaker : pinned.get(key);
    }

    /** Host breakers kept now, open ones kept aside included. */
    long size() {
        byHost.cleanUp();
        return byHost.estimatedSize() + pinned.size();
    }

    private BreakerPolicy newBreaker(String key) {
        BreakerPolicy breaker = new BreakerPolicy(figures.named("crawler:" + key), identity, fleet.share(),
                fleet.latencyWindow(), clock);
        onNew.accept(breaker);
        return breaker;
    }

    private void evicted(String host, BreakerPolicy breaker, RemovalCause cause) {
        if (cause == RemovalCause.SIZE && breaker.state() != BreakerState.CLOSED && pinned.size() < MAX_PINNED) {
            pinned.put(host, breaker);
            return;
        }
        onGone.accept(breaker);
    }

    private void releaseClosedPinned() {
        if (pinned.isEmpty()) {
            return;
        }
        pinned.forEach((host, breaker) -> {
            if (breaker.state() != BreakerState.OPEN && pinned.remove(host, breaker)) {
                onGone.accept(breaker);
            }
        });
    }
}
