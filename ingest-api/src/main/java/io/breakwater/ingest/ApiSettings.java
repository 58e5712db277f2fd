package io.breakwater.ingest;

import io.breakwater.core.config.Settings;

/**
 * Where the ingest API listens.
 *
 * @param host {@code api.host} ({@code BW_API_HOST}), default {@value #DEFAULT_HOST}: every interface
 * @param port {@code api.port} ({@code BW_API_PORT}), default {@value #DEFAULT_PORT}; 0 for any free port
 */
public record ApiSettings(String host, int port) {

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;

    public ApiSettings {
        if (port < 0 || port > 65535) {
            throw Settings.invalid("api.port", port, "a port number from 0 to 65535");
        }
    }

    public static ApiSettings from(Settings settings) {
        return new ApiSettings(settings.string("api.host", DEFAULT_HOST), settings.integer("api.port", DEFAULT_PORT));
    }
}
