package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerState;

/**
 * What clients expect of the front door: retries that do not ask twice, long polls, the seed's synchronous ask,
 * and a limit on bodies. The test plays the worker: it stores and publishes outcomes itself.
 */
class FrontDoorIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @RegisterExtension
    static final RunningApi api = RunningApi.with(Map.of(
            "api.ask.wait.seconds", "3",
            "api.max.body.bytes", "4096"));

    @Test
    void shouldReturnTheSameQuestionForARetryWithTheSameIdempotencyKey() throws Exception {
        String key = "retry-" + UUID.randomUUID();
        HttpResponse<String> first = post("/api/v1/questions", "{\"question\": \"Asked twice?\"}", "Idempotency-Key", key);
        HttpResponse<String> retry = post("/api/v1/questions", "{\"question\": \"Asked twice?\"}", "Idempotency-Key", key);

        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(retry.statusCode()).isEqualTo(202);
        String id = json(first).get("id").asText();
        assertThat(json(retry).get("id").asText()).isEqualTo(id);
        assertThat(retry.headers().firstValue("Idempotent-Replay")).contains("true");
        assertThat(api.probe().readAll(api.topics().questions().name(), Duration.ofSeconds(1)))
                .filteredOn(record -> new String(record.key(), StandardCharsets.UTF_8).equals(id))
                .as("one question on Kafka, not two").hasSize(1);
    }

    @Test
    void shouldTakeAClientChosenIdOnceAndRefuseItForAnotherQuestion() throws Exception {
        String id = "client-" + UUID.randomUUID();
        assertThat(post("/api/v1/questions", "{\"id\": \"" + id + "\", \"question\": \"Mine?\"}").statusCode()).isEqualTo(202);
        HttpResponse<String> retry = post("/api/v1/questions", "{\"id\": \"" + id + "\", \"question\": \"Mine?\"}");
        HttpResponse<String> other = post("/api/v1/questions", "{\"id\": \"" + id + "\", \"question\": \"Yours?\"}");
        HttpResponse<String> bad = post("/api/v1/questions", "{\"id\": \"no spaces\", \"question\": \"Mine?\"}");

        assertThat(json(retry).get("id").asText()).isEqualTo(id);
        assertThat(other.statusCode()).isEqualTo(409);
        assertThat(json(other).get("error").asText()).contains("belongs to another question");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).get("error").asText()).startsWith("Field 'id' must be 1 to 128 letters");
    }

    @Test
    void shouldHoldALongPollUntilTheAnswerExists() throws Exception {
        String id = json(post("/api/v1/questions", "{\"question\": \"Long poll?\"}")).get("id").asText();
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<String>> poll = HTTP.sendAsync(HttpRequest.newBuilder(
                URI.create(api.base() + "/api/v1/questions/" + id + "?wait=20s")).GET().build(), HttpResponse.BodyHandlers.ofString());

        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !poll.isDone());
        answer(id, "Long poll?");
        HttpResponse<String> answered = poll.get();

        assertThat(json(answered).get("status").asText()).isEqualTo("answered");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not the whole wait").isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void shouldEndALongPollWhenTheWaitIsOverAndRefuseABadWait() throws Exception {
        String id = json(post("/api/v1/questions", "{\"question\": \"Nobody answers?\"}")).get("id").asText();

        HttpResponse<String> waited = get("/api/v1/questions/" + id + "?wait=500ms");

        assertThat(json(waited).get("status").asText()).isEqualTo("queued");
        assertThat(json(get("/api/v1/questions/" + id + "?wait=soon")).get("error").asText())
                .isEqualTo("Parameter 'wait' must be a duration such as 30s, 1.5s or 500ms, but was 'soon'.");
        assertThat(get("/api/v1/questions/" + id + "?wait=600s").statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/questions/nope?wait=1s").statusCode()).isEqualTo(404);
    }

    @Test
    void shouldAnswerTheSeedsSynchronousAskWithTheAnswer() throws Exception {
        CompletableFuture<HttpResponse<String>> asked = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(api.base()
                + "/api/v1/qa/ask")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"What is Python?\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        QuestionEvent question = awaitQuestion("What is Python?");
        answer(question.id(), question.question());

        HttpResponse<String> response = asked.get();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("answer").asText()).isEqualTo("An answer to: What is Python?");
        assertThat(json(response).get("id").asText()).isEqualTo(question.id());
    }

    @Test
    void shouldAnswerTheSeedsAskWithItsMessageOnceTheQuestionIsParked() throws Exception {
        CompletableFuture<HttpResponse<String>> asked = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(api.base()
                + "/api/v1/qa/ask")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"Test question 3\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        QuestionEvent question = awaitQuestion("Test question 3");
        api.probe().publish(api.topics().parkedQuestions().name(), question.id().getBytes(StandardCharsets.UTF_8), EventJson.encode(question));

        HttpResponse<String> response = asked.get();
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(json(response).get("error").asText()).isEqualTo(QuestionRoutes.LLM_UNAVAILABLE);
        assertThat(json(response).get("id").asText()).isEqualTo(question.id());
    }

    @Test
    void shouldAnswerTheSeedsAskAtOnceWhileTheLlmBreakerIsOpenAndStillKeepTheQuestion() throws Exception {
        api.probe().publish(api.topics().breakerHealth().name(), "llm_service".getBytes(StandardCharsets.UTF_8), EventJson.encode(
                new BreakerHealth(1, "llm_service", BreakerState.OPEN, false, true, List.of("worker-1"), List.of(),
                        List.of("worker-1"), 5, 5, 5, 0, 5, 0, 0.0, null, Instant.now(), Instant.now(),
                        Instant.now().plusSeconds(60), null, Instant.now(), null, null, Map.of(), Instant.now())));
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/health").body().contains("\"open_breakers\":[\"llm_service\"]"));
        try {
            long start = System.nanoTime();
            HttpResponse<String> response = post("/api/v1/qa/ask", "{\"question\": \"This should fail instantly\"}");

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            assertThat(Long.parseLong(response.headers().firstValue("Retry-After").orElseThrow()))
                    .as("back when the breaker tries again, a minute after it opened").isBetween(30L, 60L);
            assertThat(json(response).get("error").asText()).isEqualTo(QuestionRoutes.LLM_UNAVAILABLE);
            String id = json(response).get("id").asText();
            assertThat(api.probe().readAll(api.topics().questions().name(), Duration.ofSeconds(1)))
                    .as("the question is kept and will still be answered")
                    .anyMatch(record -> new String(record.key(), StandardCharsets.UTF_8).equals(id));
        } finally {
            api.probe().publish(api.topics().breakerHealth().name(), "llm_service".getBytes(StandardCharsets.UTF_8), EventJson.encode(
                    new BreakerHealth(1, "llm_service", BreakerState.CLOSED, true, false, List.of(), List.of(),
                            List.of("worker-1"), 0, 5, 6, 1, 5, 0, 16.7, Instant.now(), null, null, null, Instant.now(),
                            Instant.now(), null, null, Map.of(), Instant.now())));
            await().atMost(Duration.ofSeconds(10)).until(() -> get("/health").body().contains("\"all_closed\":true"));
        }
    }

    @Test
    void shouldRefuseABodyOverTheLimitWith413() throws Exception {
        HttpResponse<String> response = post("/api/v1/questions", "{\"question\": \"" + "x".repeat(5000) + "\"}");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response).get("error").asText()).isEqualTo("The request body is 5016 bytes; the limit is 4096 bytes.");
    }

    @Test
    void shouldRefuseAPostThatDoesNotSayItIsJsonWith415() throws Exception {
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/json; charset=latin1", "application/jsonp"}) {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/questions"))
                    .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"CSRF?\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).as(type).isEqualTo(415);
            assertThat(json(response).get("error").asText()).as(type)
                    .startsWith("Send the body as JSON with 'Content-Type: application/json'");
        }
        HttpResponse<String> none = HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/crawl"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"urls\": [\"https://example.com/\"]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(415);
        assertThat(json(none).get("error").asText()).endsWith("the Content-Type was none.");
        HttpResponse<String> utf8 = HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/questions"))
                .header("Content-Type", "Application/JSON; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"JSON?\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(utf8.statusCode()).isEqualTo(202);
    }

    @Test
    void shouldRefuseAnOverlongIdOrIdempotencyKeyWith400() throws Exception {
        HttpResponse<String> longId = get("/api/v1/questions/" + "x".repeat(129));
        HttpResponse<String> longKey = post("/api/v1/questions", "{\"question\": \"Key?\"}", "Idempotency-Key",
                "k".repeat(201));

        assertThat(longId.statusCode()).isEqualTo(400);
        assertThat(json(longId).get("error").asText()).contains("is not a question id");
        assertThat(longKey.statusCode()).isEqualTo(400);
        assertThat(json(longKey).get("error").asText()).contains("'Idempotency-Key' may be at most 200 characters");
    }

    private static QuestionEvent awaitQuestion(String text) {
        List<ConsumerRecord<byte[], byte[]>> records = api.probe().readUntil(api.topics().questions().name(), read -> read.stream()
                .anyMatch(record -> EventJson.decode(record.value(), QuestionEvent.class).question().equals(text)),
                Duration.ofSeconds(10));
        return records.stream().map(record -> EventJson.decode(record.value(), QuestionEvent.class))
                .filter(question -> question.question().equals(text)).findFirst().orElseThrow();
    }

    /** What a worker does: store the answer, then publish it. */
    private static void answer(String id, String question) {
        AnswerEvent answer = AnswerEvent.answered(id, question, "An answer to: " + question, List.of(),
                new AnsweredBy(AnsweredBy.OFFLINE, "test"), Instant.now());
        api.store().recordOutcomes(List.of(answer));
        api.probe().publish(api.topics().answers().name(), id.getBytes(StandardCharsets.UTF_8), EventJson.encode(answer));
    }

    private static HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return EventJson.mapper().readTree(response.body());
    }
}
