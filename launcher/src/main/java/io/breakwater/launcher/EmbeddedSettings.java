package io.breakwater.launcher;

import java.nio.file.Path;

import io.breakwater.core.config.Settings;

/**
 * Where the local runtime keeps its embedded servers.
 *
 * @param dataDir {@code data.dir} ({@code BW_DATA_DIR}), default {@value #DEFAULT_DATA_DIR}: Kafka's log and
 *     MongoDB's file live here, so a restart resumes where the last run stopped
 * @param kafkaPort {@code embedded.kafka.port} ({@code BW_EMBEDDED_KAFKA_PORT}), default {@value #DEFAULT_KAFKA_PORT}
 * @param mongoPort {@code embedded.mongo.port} ({@code BW_EMBEDDED_MONGO_PORT}), default {@value #DEFAULT_MONGO_PORT}
 */
record EmbeddedSettings(Path dataDir, int kafkaPort, int mongoPort) {

    static final String DEFAULT_DATA_DIR = "data";
    static final int DEFAULT_KAFKA_PORT = 9092;
    static final int DEFAULT_MONGO_PORT = 27017;

    static EmbeddedSettings from(Settings settings) {
        return new EmbeddedSettings(
                Path.of(settings.string("data.dir", DEFAULT_DATA_DIR)),
                port(settings, "embedded.kafka.port", DEFAULT_KAFKA_PORT),
                port(settings, "embedded.mongo.port", DEFAULT_MONGO_PORT));
    }

    Path kafkaDir() {
        return dataDir.resolve("kafka");
    }

    Path mongoFile() {
        return dataDir.resolve("mongo").resolve("breakwater.h2");
    }

    private static int port(Settings settings, String key, int defaultPort) {
        int port = settings.integer(key, defaultPort);
        if (port < 0 || port > 65535) {
            throw Settings.invalid(key, port, "a port number from 0 to 65535");
        }
        return port;
    }
}
