package io.breakwater.core.config;

import java.time.Duration;

/**
 * How an instance's breakers take part in the fleet.
 *
 * @param share {@code breaker.share} (default true): follow other instances' open breakers, count failures
 *     together, and leave trial calls to the instance due first
 * @param snapshotInterval {@code breaker.snapshot.seconds} (default 5): how often each breaker reports its figures
 * @param latencyWindow {@code breaker.latency.window.seconds} (default 60): how far back reported latencies reach
 * @param catchUp {@code breaker.catch.up.seconds} (default 5): how long a starting worker waits to read the fleet's
 *     view before it starts from its own
 */
public record FleetSettings(boolean share, Duration snapshotInterval, Duration latencyWindow, Duration catchUp) {

    public static FleetSettings from(Settings settings) {
        FleetSettings fleet = new FleetSettings(settings.bool("breaker.share", true),
                settings.seconds("breaker.snapshot.seconds", Duration.ofSeconds(5)),
                settings.seconds("breaker.latency.window.seconds", Duration.ofSeconds(60)),
                settings.seconds("breaker.catch.up.seconds", Duration.ofSeconds(5)));
        if (fleet.snapshotInterval.compareTo(Duration.ofMillis(100)) < 0) {
            throw Settings.invalid("breaker.snapshot.seconds", fleet.snapshotInterval.toMillis() / 1000.0, "at least 0.1");
        }
        if (fleet.latencyWindow.compareTo(fleet.snapshotInterval) < 0) {
            throw Settings.invalid("breaker.latency.window.seconds", fleet.latencyWindow.toMillis() / 1000.0,
                    "at least breaker.snapshot.seconds");
        }
        return fleet;
    }
}
