package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.embedded.EmbeddedKafkaBroker;
import io.breakwater.embedded.EmbeddedMongo;
import io.breakwater.testkit.TopicProbe;

/** The API while Kafka is away and after it returns: on a broker of its own, which the test stops and restarts. */
class KafkaOutageIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    @Test
    void shouldRefuseQuestionsFastWhileKafkaIsAwayAndLoseNoneItAccepted() throws Exception {
        Path logs = dir.resolve("kafka");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(logs, 0, Map.of());
        int port = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().lastIndexOf(':') + 1));
        List<String> accepted = new ArrayList<>();
        try (EmbeddedMongo mongo = EmbeddedMongo.inMemory();
             IngestApi api = IngestApi.start(Settings.of(Map.of("kafka.bootstrap", broker.bootstrapServers(),
                     "mongo.uri", mongo.connectionString(), "api.port", "0", "api.host", "127.0.0.1",
                     "kafka.client.reconnect.backoff.max.ms", "1000")))) {
            accepted.add(askAccepted(api, "Before the outage?"));

            broker.close();
            await().atMost(Duration.ofSeconds(15)).until(() -> get(api, "/health").statusCode() == 503);
            long start = System.nanoTime();
            HttpResponse<String> refused = ask(api, "During the outage?");
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            System.out.printf("Kafka away: POST answered %d in %d ms%n", refused.statusCode(), took.toMillis());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(took).as("fails fast, not after a timeout").isLessThan(Duration.ofSeconds(2));
            assertThat(EventJson.mapper().readTree(refused.body()).get("error").asText())
                    .startsWith("The question was not accepted because Kafka is unavailable").endsWith("please retry.");
            assertThat(EventJson.mapper().readTree(get(api, "/health").body()).at("/details/kafka/breaker").asText())
                    .isEqualTo("open");
            HttpResponse<String> chosen = send(api, "{\"id\": \"chosen-in-outage\", \"question\": \"Mine?\"}");
            assertThat(chosen.statusCode()).isEqualTo(503);
            assertThat(EventJson.mapper().readTree(chosen.body()).get("error").asText()).contains("Nothing was queued");

            broker = EmbeddedKafkaBroker.start(logs, port, Map.of());
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> ask(api, "After the outage?").statusCode() == 202);
            accepted.add(askAccepted(api, "Once more after the outage?"));
            HttpResponse<String> retried = send(api, "{\"id\": \"chosen-in-outage\", \"question\": \"Mine?\"}");
            assertThat(retried.statusCode()).as("a claim never sent was released: %s", retried.body()).isEqualTo(202);
            accepted.add("chosen-in-outage");

            List<String> onKafka = new TopicProbe(broker.bootstrapServers()).readAll("qa.questions", Duration.ofSeconds(2))
                    .stream().map(record -> new String(record.key(), StandardCharsets.UTF_8)).toList();
            assertThat(onKafka).as("every question that got a 202").containsAll(accepted);
        } finally {
            broker.close();
        }
    }

    private static String askAccepted(IngestApi api, String question) throws Exception {
        HttpResponse<String> response = ask(api, question);
        assertThat(response.statusCode()).isEqualTo(202);
        return EventJson.mapper().readTree(response.body()).get("id").asText();
    }

    private static HttpResponse<String> ask(IngestApi api, String question) throws Exception {
        return send(api, "{\"question\": \"" + question + "\"}");
    }

    private static HttpResponse<String> send(IngestApi api, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/api/v1/questions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(IngestApi api, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
