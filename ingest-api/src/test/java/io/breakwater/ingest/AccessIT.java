package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.event.EventJson;

/** With API keys and a rate limit: who may ask, who may read, and how fast. */
class AccessIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String QUESTION = "{\"question\": \"Who may ask?\"}";

    @RegisterExtension
    static final RunningApi api = RunningApi.with(Map.of(
            "api.keys", "k1-secret, k2-secret",
            "rate.limit.per.second", "1",
            "rate.limit.burst", "3"));

    @Test
    void shouldTurnAwayWritesWithoutAValidKeyAndSayHowToSendOne() throws Exception {
        HttpResponse<String> none = send("POST", "/api/v1/questions", QUESTION);
        HttpResponse<String> wrong = send("POST", "/api/v1/questions", QUESTION, "Authorization", "Bearer k3-secret");

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(json(none).get("error").asText()).isEqualTo(
                "An API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(json(wrong).get("error").asText()).isEqualTo("That API key is not valid.").doesNotContain("k3");
        assertThat(send("POST", "/api/v1/crawl", "{\"urls\": [\"https://example.com/\"]}").statusCode()).isEqualTo(401);
        assertThat(send("GET", "/health", null).statusCode()).as("health needs no key").isEqualTo(200);
    }

    @Test
    void shouldLetOnlyTheKeyThatAskedAQuestionReadIt() throws Exception {
        HttpResponse<String> asked = send("POST", "/api/v1/questions", QUESTION, "X-API-Key", "k2-secret");
        assertThat(asked.statusCode()).isEqualTo(202);
        String path = "/api/v1/questions/" + json(asked).get("id").asText();

        assertThat(send("GET", path, null, "Authorization", "Bearer k2-secret").statusCode()).isEqualTo(200);
        assertThat(send("GET", path, null, "Authorization", "Bearer k1-secret").statusCode())
                .as("another key learns nothing, not even that it exists").isEqualTo(404);
        assertThat(send("GET", path, null).statusCode()).isEqualTo(401);
    }

    @Test
    void shouldShowNoKeyAQuestionThatNoKeyAsked() throws Exception {
        // Published straight to Kafka and answered: the worker's document has no owner.
        String id = "straight-" + UUID.randomUUID();
        api.store().recordOutcomes(java.util.List.of(io.breakwater.core.event.AnswerEvent.answered(id, "Whose?", "Nobody's.",
                java.util.List.of(), new io.breakwater.core.event.AnsweredBy("offline", "test"), java.time.Instant.now())));

        assertThat(send("GET", "/api/v1/questions/" + id, null, "X-API-Key", "k1-secret").statusCode()).isEqualTo(404);
    }

    @Test
    void shouldLimitEachKeysRateWith429AndRetryAfterAndLetItThroughAfterTheWait() throws Exception {
        String key = "k1-secret";
        int accepted = 0;
        HttpResponse<String> limited = null;
        for (int i = 0; i < 10 && limited == null; i++) {
            HttpResponse<String> response = send("POST", "/api/v1/questions", QUESTION, "X-API-Key", key);
            if (response.statusCode() == 429) {
                limited = response;
            } else {
                assertThat(response.statusCode()).isEqualTo(202);
                accepted++;
            }
        }

        assertThat(limited).as("limited after the burst").isNotNull();
        assertThat(accepted).isBetween(3, 4);
        long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 2L);
        assertThat(json(limited).get("error").asText()).startsWith("Too many requests: at most 1 a second (3 at once)");
        assertThat(send("POST", "/api/v1/questions", QUESTION, "X-API-Key", "k2-secret").statusCode())
                .as("another key has its own allowance").isEqualTo(202);
        await().pollDelay(Duration.ofSeconds(retryAfter)).atMost(Duration.ofSeconds(5)).until(() ->
                send("POST", "/api/v1/questions", QUESTION, "X-API-Key", key).statusCode() == 202);
    }

    private static HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base() + path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return EventJson.mapper().readTree(response.body());
    }
}
