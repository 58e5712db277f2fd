package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionRecord;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topics;
import io.breakwater.embedded.junit.EmbeddedServers;
import io.breakwater.embedded.junit.EmbeddedServersExtension;
import io.breakwater.embedded.junit.LlmDouble;
import io.breakwater.embedded.junit.LlmDouble.Mode;
import io.breakwater.embedded.junit.TopicProbe;

@ExtendWith(EmbeddedServersExtension.class)
class QaWorkerIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static EmbeddedServers servers;
    private static TopicProbe probe;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private Map<String, String> settings;
    private Topics topics;
    private QuestionStore store;

    @BeforeAll
    static void connect(EmbeddedServers shared) {
        servers = shared;
        probe = new TopicProbe(shared.bootstrapServers());
    }

    @BeforeEach
    void isolate() {
        String run = "qa-" + UUID.randomUUID().toString().substring(0, 8);
        settings = new HashMap<>(Map.of(
                "kafka.bootstrap", servers.bootstrapServers(),
                "mongo.uri", servers.mongoUri(),
                "mongo.database", run,
                "topic.prefix", run + ".",
                "qa.group", run,
                "instance.id", "it"));
        topics = Topics.from(Settings.of(settings));
        MongoClient mongo = MongoConnections.open(new MongoSettings(servers.mongoUri(), run));
        resources.add(mongo);
        store = new QuestionStore(mongo.getDatabase(run));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void shouldAnswerAQuestionPublishedStraightToTheTopicWithTheOfflineAnswerer() {
        startWorker();

        publish("ext-1", "{\"id\":\"ext-1\",\"question\":\"What is a breakwater?\",\"from\":\"another team\"}");

        AnswerEvent answer = answers(1).get(0);
        assertThat(answer.id()).isEqualTo("ext-1");
        assertThat(answer.status()).isEqualTo(QuestionStatus.ANSWERED);
        assertThat(answer.answeredBy().kind()).isEqualTo(AnsweredBy.OFFLINE);
        assertThat(answer.answer()).isEqualTo(OfflineAnswerer.NO_CONTEXT);
        assertThat(store.find("ext-1")).get().satisfies(record -> {
            assertThat(record.status()).isEqualTo(QuestionStatus.ANSWERED);
            assertThat(record.question()).isEqualTo("What is a breakwater?");
            assertThat(record.answer()).isEqualTo(OfflineAnswerer.NO_CONTEXT);
        });
    }

    @Test
    void shouldAnswerFromTheLlmWhenOneIsConfigured() {
        LlmDouble llm = startLlm();
        settings.put("llm.model", "test-model");
        startWorker();

        publish("q-1", "{\"id\":\"q-1\",\"question\":\"What is Kafka?\"}");

        AnswerEvent answer = answers(1).get(0);
        assertThat(answer.answer()).isEqualTo(LlmDouble.answerTo("What is Kafka?"));
        assertThat(answer.answeredBy()).isEqualTo(new AnsweredBy(AnsweredBy.LLM, "test-model"));
        assertThat(llm.calls()).isEqualTo(1);
    }

    @Test
    void shouldDeadLetterPoisonRecordsWithTheirReasonAndAnswerTheGoodOnesAroundThem() {
        settings.put("qa.max.record.bytes", "2048");
        startWorker();

        publish("good-1", "{\"id\":\"good-1\",\"question\":\"First?\"}");
        publish("junk", "this is not json");
        publish("no-id", "{\"question\":\"Who am I?\"}");
        publish("blank", "{\"id\":\"blank\",\"question\":\"   \"}");
        publish("huge", "{\"id\":\"huge\",\"question\":\"" + "x".repeat(3000) + "\"}");
        publish("good-2", "{\"id\":\"good-2\",\"question\":\"Second?\"}");

        List<ConsumerRecord<byte[], byte[]>> dead = probe.readAtLeast(topics.questionsDeadLetter().name(), 4, WAIT);
        assertThat(dead).extracting(record -> DeadLetters.header(record.headers(), DeadLetters.REASON))
                .containsExactlyInAnyOrder("malformed", "malformed", "malformed", "too-large");
        assertThat(dead).allSatisfy(record -> {
            assertThat(DeadLetters.header(record.headers(), DeadLetters.ERROR_CLASS)).isNotBlank();
            assertThat(DeadLetters.header(record.headers(), DeadLetters.ERROR_MESSAGE)).isNotBlank();
            assertThat(DeadLetters.header(record.headers(), DeadLetters.ORIGIN_TOPIC)).isEqualTo(topics.questions().name());
        });
        ConsumerRecord<byte[], byte[]> junk = dead.stream()
                .filter(record -> new String(record.value(), StandardCharsets.UTF_8).equals("this is not json"))
                .findFirst().orElseThrow();
        assertThat(DeadLetters.header(junk.headers(), DeadLetters.ERROR_MESSAGE)).startsWith("the value is not valid JSON");

        Map<String, AnswerEvent> byId = byId(answers(3));
        assertThat(byId).containsOnlyKeys("good-1", "good-2", "blank");
        assertThat(byId.get("good-1").status()).isEqualTo(QuestionStatus.ANSWERED);
        assertThat(byId.get("good-2").status()).isEqualTo(QuestionStatus.ANSWERED);
        assertThat(byId.get("blank").status()).isEqualTo(QuestionStatus.FAILED);
        assertThat(byId.get("blank").reason())
                .isEqualTo("The question event is malformed: field 'question' must not be empty or only whitespace");
        assertThat(store.find("blank")).get().extracting(QuestionRecord::status).isEqualTo(QuestionStatus.FAILED);
    }

    @Test
    void shouldFailQuestionsFastWithTheSeedsMessageOnceTheBreakerIsOpen() {
        LlmDouble llm = startLlm();
        llm.mode(Mode.FAIL_500);
        settings.putAll(Map.of(
                "llm.model", "test-model",
                "qa.concurrency", "1",
                "breaker.llm_service.failures", "2",
                "breaker.llm_service.retries", "0",
                "breaker.llm_service.open.seconds", "600"));
        startWorker();

        for (int i = 1; i <= 5; i++) {
            publish("q-" + i, "{\"id\":\"q-" + i + "\",\"question\":\"Question " + i + "?\"}");
        }

        List<AnswerEvent> answers = answers(5);
        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).isEqualTo(QuestionStatus.FAILED));
        assertThat(answers).filteredOn(answer -> answer.reason().equals(QuestionHandler.LLM_UNAVAILABLE)).hasSize(3);
        assertThat(answers).filteredOn(answer -> answer.reason().contains("HTTP 500: model crashed")).hasSize(2);
        assertThat(llm.calls()).as("calls that reached the LLM").isEqualTo(2);
    }

    @Test
    void shouldFailARejectedQuestionWithTheLlmsReasonWithoutOpeningTheBreaker() {
        LlmDouble llm = startLlm();
        llm.mode(Mode.REJECT_400);
        settings.putAll(Map.of(
                "llm.model", "test-model",
                "breaker.llm_service.failures", "1"));
        QaWorker worker = startWorker();

        publish("too-long", "{\"id\":\"too-long\",\"question\":\"A question the model refuses?\"}");

        AnswerEvent answer = answers(1).get(0);
        assertThat(answer.status()).isEqualTo(QuestionStatus.FAILED);
        assertThat(answer.reason()).isEqualTo("the LLM rejected the request with HTTP 400: context length exceeded");
        assertThat(worker.llmBreaker().breaker().isClosed()).isTrue();
        assertThat(llm.calls()).isEqualTo(1);
    }

    private LlmDouble startLlm() {
        LlmDouble llm = LlmDouble.start();
        resources.add(llm);
        settings.put("llm.url", llm.baseUrl());
        return llm;
    }

    private QaWorker startWorker() {
        QaWorker worker = QaWorker.start(Settings.of(settings), failures::add);
        resources.add(worker);
        return worker;
    }

    private void publish(String key, String value) {
        probe.publish(topics.questions().name(), key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }

    private List<AnswerEvent> answers(int count) {
        List<ConsumerRecord<byte[], byte[]>> records = probe.readAtLeast(topics.answers().name(), count, WAIT);
        assertThat(records).hasSize(count);
        return records.stream().map(record -> EventJson.decode(record.value(), AnswerEvent.class)).toList();
    }

    private static Map<String, AnswerEvent> byId(List<AnswerEvent> answers) {
        Map<String, AnswerEvent> byId = new HashMap<>();
        answers.forEach(answer -> byId.put(answer.id(), answer));
        return byId;
    }
}
