package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.embedded.EmbeddedKafkaBroker;
import io.breakwater.embedded.EmbeddedMongo;

/** {@code /health} when Kafka goes away: on a broker of its own, which the test stops. */
class HealthIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    @Test
    void shouldAnswer503WhenKafkaIsUnreachableWhileStayingAlive() throws Exception {
        try (EmbeddedMongo mongo = EmbeddedMongo.inMemory()) {
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of());
            try (IngestApi api = IngestApi.start(Settings.of(Map.of("kafka.bootstrap", broker.bootstrapServers(),
                    "mongo.uri", mongo.connectionString(), "api.port", "0", "api.host", "127.0.0.1",
                    "kafka.client.reconnect.backoff.max.ms", "1000")))) {
                JsonNode healthy = await().atMost(Duration.ofSeconds(10)).until(() -> body(api, "/health"),
                        body -> body.at("/details/kafka/is_up").asBoolean());
                assertThat(healthy.at("/details/circuit_breakers/all_closed").asBoolean())
                        .as("no breaker has reported: nothing is open").isTrue();
                assertThat(healthy.at("/details/circuit_breakers/open_breakers")).isEmpty();
                assertThat(status(api, "/health")).isEqualTo(200);

                broker.close();

                JsonNode down = await().atMost(Duration.ofSeconds(15)).until(() -> body(api, "/health"),
                        body -> body.get("status").asText().equals("unavailable"));
                assertThat(down.at("/details/kafka/state").asText()).isEqualTo("down");
                assertThat(down.at("/details/kafka/error").asText()).contains("Kafka did not answer");
                assertThat(down.at("/details/kafka/meaning").asText()).contains("cannot be accepted");
                assertThat(status(api, "/health")).isEqualTo(503);
                assertThat(status(api, "/health/ready")).isEqualTo(503);
                assertThat(status(api, "/health/live")).as("alive: restarting it would not bring Kafka back")
                        .isEqualTo(200);
            }
        }
    }

    private static JsonNode body(IngestApi api, String path) throws Exception {
        return EventJson.mapper().readTree(get(api, path).body());
    }

    private static int status(IngestApi api, String path) throws Exception {
        return get(api, path).statusCode();
    }

    private static HttpResponse<String> get(IngestApi api, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
