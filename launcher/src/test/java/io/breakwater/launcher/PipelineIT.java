package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.testkit.LlmDouble;
import io.breakwater.testkit.Running;
import io.breakwater.testkit.TestSite;
import io.breakwater.testkit.TopicProbe;

/** The whole pipeline as {@code ./breakwater up} runs it: embedded servers, ingest API and QA worker in one JVM. */
class PipelineIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dataDir;

    @RegisterExtension
    final Running running = new Running();

    private final Map<String, String> settings = new HashMap<>();
    private LocalPipeline pipeline;

    @Test
    void shouldAnswerAQuestionPostedOverHttpWithTheOfflineAnswerer() throws Exception {
        start();

        String id = ask("What is a breakwater?");

        JsonNode answered = awaitStatus(id, "answered");
        assertThat(answered.get("answeredBy").get("kind").asText()).isEqualTo("offline");
        assertThat(answered.get("answer").asText()).contains("BW_LLM_URL");
        assertThat(answered.get("sources").isArray()).isTrue();
    }

    @Test
    void shouldAnswerFromAnOpenAiCompatibleEndpointWhenConfigured() throws Exception {
        LlmDouble llm = running.add(LlmDouble.start());
        settings.put("llm.url", llm.baseUrl());
        settings.put("llm.model", "local-model");
        start();

        String id = ask("What is Kafka?");

        JsonNode answered = awaitStatus(id, "answered");
        assertThat(answered.get("answer").asText()).isEqualTo(LlmDouble.answerTo("What is Kafka?"));
        assertThat(answered.get("answeredBy").get("kind").asText()).isEqualTo("llm");
        assertThat(answered.get("answeredBy").get("model").asText()).isEqualTo("local-model");
    }

    @Test
    void shouldAnswerAQuestionFromAPageItCrawledCitingThePage() throws Exception {
        TestSite site = running.add(TestSite.start());
        settings.put("crawler.allowed.hosts", site.host());
        start();

        HttpResponse<String> crawl = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/crawl"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"urls\": [\"" + site.url("/index.html") + "\"]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(crawl.statusCode()).isEqualTo(202);
        String job = EventJson.mapper().readTree(crawl.body()).at("/jobs/0/location").asText();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> EventJson.mapper()
                .readTree(HTTP.send(HttpRequest.newBuilder(uri(job)).GET().build(), HttpResponse.BodyHandlers.ofString())
                        .body()).path("status").asText().equals("fetched"));

        // The page reaches the worker's index through crawl.pages a moment after it is stored.
        JsonNode answered = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(
                () -> awaitStatus(ask("How much quay does the Zeebrugge breakwater shelter?"), "answered"),
                body -> body.get("sources").size() > 0);
        assertThat(answered.get("answer").asText()).contains(TestSite.FACT);
        assertThat(answered.get("sources").get(0).get("url").asText()).isEqualTo(site.url("/index.html"));
        assertThat(answered.get("sources").get(0).get("title").asText()).isEqualTo(TestSite.INDEX_TITLE);
    }

    @Test
    void shouldResumeWhereItStoppedWhenRestartedOnTheSameData() throws Exception {
        start();
        String first = ask("Asked before the restart?");
        awaitStatus(first, "answered");
        running.remove(pipeline);
        pipeline.close();

        start();
        assertThat(status(first).get("status").asText()).isEqualTo("answered");
        String second = ask("Asked after the restart?");
        awaitStatus(second, "answered");

        assertThat(new TopicProbe(pipeline.kafkaBootstrap()).readAll("qa.answers", Duration.ofSeconds(2)))
                .as("one answer per question: the first was not answered again after the restart")
                .hasSize(2);
    }

    private void start() {
        pipeline = LocalPipeline.start(Settings.of(settings).with(Map.of(
                "data.dir", dataDir.toString(),
                "embedded.kafka.port", "0",
                "embedded.mongo.port", "0",
                "api.host", "127.0.0.1",
                "api.port", "0")), running::failed);
        running.add(pipeline);
    }

    private String ask(String question) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/questions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"" + question + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(202);
        return EventJson.mapper().readTree(response.body()).get("id").asText();
    }

    private JsonNode awaitStatus(String id, String status) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> status(id), body -> body.has("status") && body.get("status").asText().equals(status));
    }

    private JsonNode status(String id) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/questions/" + id)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return EventJson.mapper().readTree(response.body());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + pipeline.apiPort() + path);
    }
}
