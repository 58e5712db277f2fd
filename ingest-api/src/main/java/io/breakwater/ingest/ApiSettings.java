package io.breakwater.ingest;

import java.time.Duration;

import io.breakwater.core.config.Settings;

/**
 * Where the ingest API listens, how long it lets clients wait, and how much it holds for them.
 *
 * @param host {@code api.host} ({@code BW_API_HOST}), default {@value #DEFAULT_HOST}: every interface
 * @param port {@code api.port} ({@code BW_API_PORT}), default {@value #DEFAULT_PORT}; 0 for any free port
 * @param maxBodyBytes {@code api.max.body.bytes}, default 65536: larger request bodies get 413
 * @param maxWait {@code api.max.wait.seconds}, default 60: the longest {@code ?wait=} of a long poll
 * @param askWait {@code api.ask.wait.seconds}, default 30: how long {@code POST /api/v1/qa/ask} waits for the answer
 *     before it answers 202 with the question's id
 * @param storeThreads {@code api.store.threads}, default 4: threads that call MongoDB for requests
 * @param storeQueue {@code api.store.queue}, default 1000: store calls that may wait for one; beyond, 503
 * @param storeTimeout {@code api.store.timeout.seconds}, default 3: a store call not answered by then is a 503
 * @param maxSockets {@code api.ws.max}, default 1000: open websockets; more are closed with 1013
 * @param maxSocketsPerAddress {@code api.ws.max.per.address}, default 20: open websockets from one client address
 */
public record ApiSettings(String host, int port, int maxBodyBytes, Duration maxWait, Duration askWait,
                          int storeThreads, int storeQueue, Duration storeTimeout, int maxSockets,
                          int maxSocketsPerAddress) {

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_SOCKETS = 1_000;
    public static final int DEFAULT_MAX_SOCKETS_PER_ADDRESS = 20;

    public ApiSettings {
        if (port < 0 || port > 65535) {
            throw Settings.invalid("api.port", port, "a port number from 0 to 65535");
        }
        if (maxBodyBytes < 1024) {
            throw Settings.invalid("api.max.body.bytes", maxBodyBytes, "at least 1024");
        }
        if (storeThreads < 1 || storeThreads > 256) {
            throw Settings.invalid("api.store.threads", storeThreads, "1 to 256");
        }
        if (storeQueue < 1) {
            throw Settings.invalid("api.store.queue", storeQueue, "at least 1");
        }
        if (storeTimeout.isNegative() || storeTimeout.isZero()) {
            throw Settings.invalid("api.store.timeout.seconds", storeTimeout.toSeconds(), "at least 1");
        }
        if (maxSockets < 1) {
            throw Settings.invalid("api.ws.max", maxSockets, "at least 1");
        }
        if (maxSocketsPerAddress < 1) {
            throw Settings.invalid("api.ws.max.per.address", maxSocketsPerAddress, "at least 1");
        }
    }

    public static ApiSettings from(Settings settings) {
        return new ApiSettings(settings.string("api.host", DEFAULT_HOST), settings.integer("api.port", DEFAULT_PORT),
                settings.integer("api.max.body.bytes", 64 * 1024),
                settings.seconds("api.max.wait.seconds", Duration.ofSeconds(60)),
                settings.seconds("api.ask.wait.seconds", Duration.ofSeconds(30)),
                settings.integer("api.store.threads", StoreCalls.DEFAULT_THREADS),
                settings.integer("api.store.queue", StoreCalls.DEFAULT_QUEUE),
                settings.seconds("api.store.timeout.seconds", StoreCalls.DEFAULT_TIMEOUT),
                settings.integer("api.ws.max", DEFAULT_MAX_SOCKETS),
                settings.integer("api.ws.max.per.address", DEFAULT_MAX_SOCKETS_PER_ADDRESS));
    }
}
