package io.breakwater.core.config;

import java.util.Map;
import java.util.Objects;

/**
 * Where Kafka is and how to reach it.
 *
 * @param bootstrapServers {@code kafka.bootstrap} ({@code BW_KAFKA_BOOTSTRAP}), default {@value #DEFAULT_BOOTSTRAP}
 * @param clientProperties every {@code kafka.client.*} setting ({@code BW_KAFKA_CLIENT_*}), passed to every
 *     producer, consumer and admin client as it is: SASL, TLS and any other client property
 */
public record KafkaSettings(String bootstrapServers, Map<String, String> clientProperties) {

    public static final String BOOTSTRAP = "kafka.bootstrap";
    public static final String CLIENT_PREFIX = "kafka.client.";
    public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

    public KafkaSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        if (bootstrapServers.isBlank()) {
            throw Settings.invalid(BOOTSTRAP, bootstrapServers, "host:port[,host:port...]");
        }
        clientProperties = Map.copyOf(clientProperties);
    }

    public static KafkaSettings from(Settings settings) {
        return new KafkaSettings(settings.string(BOOTSTRAP, DEFAULT_BOOTSTRAP), settings.withPrefix(CLIENT_PREFIX));
    }
}
