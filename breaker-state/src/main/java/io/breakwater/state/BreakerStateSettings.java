package io.breakwater.state;

import java.nio.file.Path;
import java.time.Duration;

import io.breakwater.core.config.Settings;

/**
 * The breaker-state app's settings.
 *
 * @param applicationId {@code state.application.id} (default {@code breakwater-breaker-state}, behind
 *     {@code topic.prefix}): the Streams application id, shared by every instance of the app
 * @param stateDir {@code state.dir} (default {@code <data.dir>/breaker-state}, or the temp directory): where the
 *     fold store lives; it is rebuilt from its changelog if lost
 * @param instanceExpiry {@code state.instance.expiry.seconds} (default 20): how long a breaker's instance may be
 *     silent before it is dropped from the fleet's health (four missed snapshots at the default 5 s)
 * @param expiryCheck {@code state.expiry.check.seconds} (default 1): how often silent instances are looked for
 */
public record BreakerStateSettings(String applicationId, Path stateDir, Duration instanceExpiry, Duration expiryCheck) {

    public static BreakerStateSettings from(Settings settings) {
        String prefix = settings.string("topic.prefix", "");
        Path stateDir = settings.find("state.dir").map(Path::of)
                .or(() -> settings.find("data.dir").map(dir -> Path.of(dir, "breaker-state")))
                .orElse(Path.of(System.getProperty("java.io.tmpdir"), "breakwater-breaker-state"));
        BreakerStateSettings state = new BreakerStateSettings(
                prefix + settings.string("state.application.id", "breakwater-breaker-state"), stateDir,
                settings.seconds("state.instance.expiry.seconds", Duration.ofSeconds(20)),
                settings.seconds("state.expiry.check.seconds", Duration.ofSeconds(1)));
        if (state.expiryCheck.compareTo(Duration.ofMillis(100)) < 0) {
            throw Settings.invalid("state.expiry.check.seconds", state.expiryCheck.toMillis() / 1000.0, "at least 0.1");
        }
        return state;
    }
}
