package io.breakwater.launcher;

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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.mongodb.MongoDBContainer;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.topic.Topics;
import io.breakwater.testkit.LlmDouble;
import io.breakwater.testkit.Running;
import io.breakwater.testkit.TestSite;
import io.breakwater.testkit.TopicProbe;

/**
 * The pipeline's main scenarios against the real thing: Kafka from the official {@code apache/kafka} image (the
 * version the build uses) and MongoDB from the {@code mongo} image, in containers. Runs under
 * {@code ./mvnw verify -Pdocker}; without Docker it is skipped, saying so.
 */
@ExtendWith(DockerRequired.class)
class PipelineDockerIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    private static KafkaContainer kafka;
    private static MongoDBContainer mongo;

    @TempDir
    Path dataDir;

    @RegisterExtension
    final Running running = new Running();

    private final Map<String, String> settings = new HashMap<>();
    private String run;
    private Topics topics;
    private LocalPipeline pipeline;

    @BeforeAll
    static void startContainers() {
        kafka = new KafkaContainer("apache/kafka:" + System.getProperty("kafka.version", "4.4.0"));
        mongo = new MongoDBContainer("mongo:8.0");
        kafka.start();
        mongo.start();
    }

    @AfterAll
    static void stopContainers() {
        if (mongo != null) {
            mongo.stop();
        }
        if (kafka != null) {
            kafka.stop();
        }
    }

    @BeforeEach
    void isolate() {
        run = "docker-" + UUID.randomUUID().toString().substring(0, 8);
        settings.putAll(Map.of(
                "kafka.bootstrap", kafka.getBootstrapServers(),
                "mongo.uri", mongo.getConnectionString(),
                "mongo.database", run,
                "topic.prefix", run + ".",
                "qa.group", run + "-qa",
                "crawler.group", run + "-crawler",
                "state.dir", dataDir.resolve("state").toString(),
                "instance.id", run,
                "api.host", "127.0.0.1",
                "api.port", "0"));
        settings.putAll(Map.of("breaker.snapshot.seconds", "1", "qa.park.backoff.seconds", "0.2",
                "qa.park.max.backoff.seconds", "0.5"));
        topics = Topics.from(Settings.of(settings));
    }

    @Test
    void shouldAnswerAQuestionPostedOverHttp() throws Exception {
        start();

        JsonNode answered = awaitStatus(ask("What is a breakwater?"), "answered");

        assertThat(answered.get("answeredBy").get("kind").asText()).isEqualTo("offline");
    }

    @Test
    void shouldParkQuestionsWhileTheLlmIsDownAndAnswerEachOnceWhenItReturns() throws Exception {
        LlmDouble llm = running.add(LlmDouble.start());
        llm.mode(LlmDouble.Mode.FAIL_500);
        settings.putAll(Map.of("llm.url", llm.baseUrl(), "llm.model", "m", "breaker.llm_service.retries", "0",
                "breaker.llm_service.open.seconds", "3"));
        start();

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(ask("Asked while the LLM is down " + i + "?"));
        }
        await().atMost(PATIENCE).until(() -> health().at("/details/llm_service/state").asText().equals("open"));
        llm.mode(LlmDouble.Mode.ANSWER);

        for (String id : ids) {
            awaitStatus(id, "answered");
        }
        await().atMost(PATIENCE).until(() -> health().at("/details/llm_service/state").asText().equals("closed"));
        List<ConsumerRecord<byte[], byte[]>> answers = new TopicProbe(kafka.getBootstrapServers())
                .readAll(topics.answers().name(), Duration.ofSeconds(3));
        assertThat(answers).as("one answer per question, none twice").hasSize(ids.size());
    }

    @Test
    void shouldParkQuestionsWhileMongoDbIsPausedAndFinishThemWhenItResumes() throws Exception {
        settings.putAll(Map.of("breaker.mongodb.open.seconds", "2", "breaker.mongodb.timeout.seconds", "2"));
        start();
        awaitStatus(ask("Asked before the pause?"), "answered");

        TopicProbe probe = new TopicProbe(kafka.getBootstrapServers());
        Map<String, String> questions = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            questions.put("paused-" + i, "{\"id\":\"paused-" + i + "\",\"question\":\"Asked while MongoDB is paused " + i + "?\"}");
        }
        mongo.getDockerClient().pauseContainerCmd(mongo.getContainerId()).exec();
        try {
            probe.publishAll(topics.questions().name(), questions);
            List<ConsumerRecord<byte[], byte[]>> parked = probe.readUntil(topics.parkedQuestions().name(),
                    records -> records.size() >= questions.size(), PATIENCE);
            assertThat(parked).allSatisfy(record -> assertThat(new String(record.headers()
                    .lastHeader(WorkHeaders.BREAKER).value(), StandardCharsets.UTF_8)).isEqualTo("mongodb"));
        } finally {
            mongo.getDockerClient().unpauseContainerCmd(mongo.getContainerId()).exec();
        }

        for (String id : questions.keySet()) {
            awaitStatus(id, "answered");
        }
        assertThat(probe.readAll(topics.questionsDeadLetter().name(), Duration.ofSeconds(2))).as("nothing dead-lettered")
                .isEmpty();
    }

    @Test
    void shouldAnswerFromACrawledPageCitingIt() throws Exception {
        TestSite site = running.add(TestSite.start());
        settings.put("crawler.allowed.hosts", site.host());
        start();

        HttpResponse<String> crawl = post("/api/v1/crawl", "{\"urls\": [\"" + site.url("/index.html") + "\"]}");
        assertThat(crawl.statusCode()).isEqualTo(202);
        String job = EventJson.mapper().readTree(crawl.body()).at("/jobs/0/location").asText();
        await().atMost(PATIENCE).until(() -> get(job).path("status").asText().equals("fetched"));

        JsonNode answered = await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).until(
                () -> awaitStatus(ask("How much quay does the Zeebrugge breakwater shelter?"), "answered"),
                body -> body.get("sources").size() > 0);
        assertThat(answered.get("answer").asText()).contains(TestSite.FACT);
        assertThat(answered.get("sources").get(0).get("url").asText()).isEqualTo(site.url("/index.html"));
    }

    private void start() {
        pipeline = running.add(LocalPipeline.start(Settings.of(settings), running::failed));
    }

    private String ask(String question) throws Exception {
        HttpResponse<String> response = post("/api/v1/questions", "{\"question\": \"" + question + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return EventJson.mapper().readTree(response.body()).get("id").asText();
    }

    private JsonNode awaitStatus(String id, String status) {
        return await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
                .until(() -> get("/api/v1/questions/" + id), body -> status.equals(body.path("status").asText()));
    }

    private JsonNode health() throws Exception {
        return get("/health");
    }

    private JsonNode get(String path) throws Exception {
        return EventJson.mapper().readTree(HTTP.send(HttpRequest.newBuilder(uri(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + pipeline.apiPort() + path);
    }
}
