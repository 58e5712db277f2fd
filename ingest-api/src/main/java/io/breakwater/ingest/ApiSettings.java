package io.breakwater.ingest;

import java.time.Duration;

import io.breakwater.core.config.Settings;

/**
 * Where the ingest API listens, and how long it lets clients wait.
 *
 * @param host {@code api.host} ({@code BW_API_HOST}), default {@value #DEFAULT_HOST}: every interface
 * @param port {@code api.port} ({@code BW_API_PORT}), default {@value #DEFAULT_PORT}; 0 for any free port
 * @param maxBodyBytes {@code api.max.body.bytes}, default 65536: larger request bodies get 413
 * @param maxWait {@code api.max.wait.seconds}, default 60: the longest {@code ?wait=} of a long poll
 * @param askWait {@code api.ask.wait.seconds}, default 30: how long {@code POST /api/v1/qa/ask} waits for the answer
 *     before it answers 202 with the question's id
 */
public record ApiSettings(String host, int port, int maxBodyBytes, Duration maxWait, Duration askWait) {

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;

    public ApiSettings {
        if (port < 0 || port > 65535) {
            throw Settings.invalid("api.port", port, "a port number from 0 to 65535");
        }
        if (maxBodyBytes < 1024) {
            throw Settings.invalid("api.max.body.bytes", maxBodyBytes, "at least 1024");
        }
    }

    public static ApiSettings from(Settings settings) {
        return new ApiSettings(settings.string("api.host", DEFAULT_HOST), settings.integer("api.port", DEFAULT_PORT),
                settings.integer("api.max.body.bytes", 64 * 1024),
                settings.seconds("api.max.wait.seconds", Duration.ofSeconds(60)),
                settings.seconds("api.ask.wait.seconds", Duration.ofSeconds(30)));
    }
}
