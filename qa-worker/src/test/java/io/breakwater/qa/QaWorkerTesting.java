package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topics;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.FreezableProxy;
import io.breakwater.testkit.LlmDouble;
import io.breakwater.testkit.Running;
import io.breakwater.testkit.TopicProbe;

/** What every QA worker test shares: one broker and MongoDB per class, a run of its own per test, the worker's helpers. */
@ExtendWith(EmbeddedServersExtension.class)
abstract class QaWorkerTesting {

    static final Duration WAIT = Duration.ofSeconds(30);

    static EmbeddedServers servers;
    static TopicProbe probe;

    @RegisterExtension
    final Running resources = new Running();

    Map<String, String> settings;
    Topics topics;
    QuestionStore store;

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
        MongoClient mongo = resources.add(MongoConnections.open(new MongoSettings(servers.mongoUri(), run)));
        store = new QuestionStore(mongo.getDatabase(run));
    }

    /** MongoDB behind a proxy the test can freeze, with a breaker that opens and tries again within seconds. */
    FreezableProxy mongoBehindProxy() {
        URI direct = URI.create(servers.mongoUri());
        FreezableProxy proxy = resources.add(FreezableProxy.to(direct.getHost(), direct.getPort()));
        settings.put("mongo.uri", "mongodb://127.0.0.1:" + proxy.port());
        settings.put("breaker.mongodb.open.seconds", "2");
        settings.put("breaker.mongodb.timeout.seconds", "2");
        return proxy;
    }

    LlmDouble startLlm() {
        LlmDouble llm = resources.add(LlmDouble.start());
        settings.put("llm.url", llm.baseUrl());
        settings.put("llm.model", "test-model");
        return llm;
    }

    QaWorker startWorker() {
        return resources.add(QaWorker.start(Settings.of(settings), resources::failed));
    }

    void publish(String key, String value) {
        probe.publish(topics.questions().name(), key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }

    List<AnswerEvent> answers(int count) {
        return answersWithin(count, WAIT);
    }

    /** Exactly {@code count} answers, read within {@code wait}. */
    List<AnswerEvent> answersWithin(int count, Duration wait) {
        List<ConsumerRecord<byte[], byte[]>> records = probe.readAtLeast(topics.answers().name(), count, wait);
        assertThat(records).hasSize(count);
        return records.stream().map(record -> EventJson.decode(record.value(), AnswerEvent.class)).toList();
    }

    /** All answers on qa.answers so far. */
    List<AnswerEvent> answersSoFar() {
        return probe.readToEnd(topics.answers().name(), WAIT).stream()
                .map(record -> EventJson.decode(record.value(), AnswerEvent.class)).toList();
    }

    /** An operator's override of {@code breaker}, as {@code breakwater breaker} publishes it. */
    void override(String breaker, io.breakwater.core.health.BreakerOverride.Mode mode) {
        io.breakwater.core.health.BreakerOverride override = new io.breakwater.core.health.BreakerOverride(
                io.breakwater.core.health.BreakerOverride.SCHEMA_VERSION, breaker, mode, "test", Instant.now(), "test");
        probe.publish(topics.breakerControl().name(), breaker.getBytes(StandardCharsets.UTF_8), EventJson.encode(override));
    }

    List<String> publishQuestions(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = "q-" + i;
            ids.add(id);
            publish(id, "{\"id\":\"" + id + "\",\"question\":\"Question " + i + "?\"}");
        }
        return ids;
    }

    void awaitStatuses(List<String> ids, QuestionStatus status) {
        await().atMost(WAIT).until(() -> ids.stream().allMatch(id ->
                store.find(id).map(record -> record.status() == status).orElse(false)));
    }

    int answeredCount(List<String> ids) {
        return (int) ids.stream().filter(id -> store.find(id)
                .map(record -> record.status() == QuestionStatus.ANSWERED).orElse(false)).count();
    }

    static Map<String, AnswerEvent> byId(List<AnswerEvent> answers) {
        Map<String, AnswerEvent> byId = new HashMap<>();
        answers.forEach(answer -> byId.put(answer.id(), answer));
        return byId;
    }
}
