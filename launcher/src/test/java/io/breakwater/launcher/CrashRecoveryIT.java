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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;
import io.breakwater.embedded.FreePort;
import io.breakwater.qa.QaWorkerSettings;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.LlmDouble;
import io.breakwater.testkit.ServiceProcess;
import io.breakwater.testkit.TopicProbe;

/** Hard kills ({@code kill -9}) at moments nobody chose, then restarts: nothing accepted is lost or answered twice. */
@ExtendWith(EmbeddedServersExtension.class)
class CrashRecoveryIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Duration READY = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void shouldAnswerEveryQuestionOnceThoughTheWorkerIsKilledTwiceMidBatch(EmbeddedServers servers) throws Exception {
        String run = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> settings = Map.of(
                "kafka.bootstrap", servers.bootstrapServers(),
                "mongo.uri", servers.mongoUri(),
                "mongo.database", run,
                "topic.prefix", run + ".",
                "qa.group", run);
        Topics topics = Topics.from(Settings.of(settings));
        TopicProbe probe = new TopicProbe(servers.bootstrapServers());
        int questions = 300;

        try (LlmDouble llm = LlmDouble.start();
             MongoClient mongo = MongoConnections.open(new MongoSettings(servers.mongoUri(), run))) {
            llm.answerDelay(Duration.ofMillis(20));
            Map<String, String> environment = environment(settings);
            environment.putAll(Map.of("BW_LLM_URL", llm.baseUrl(), "BW_LLM_MODEL", "m", "BW_INSTANCE_ID", "crashy"));
            Path log = dir.resolve("worker.log");
            Map<String, String> records = new LinkedHashMap<>();
            for (int i = 0; i < questions; i++) {
                records.put("k-" + i, "{\"id\":\"k-" + i + "\",\"question\":\"Killed " + i + "?\"}");
            }
            try (Admin admin = KafkaClients.createAdmin(new KafkaSettings(servers.bootstrapServers(), Map.of()), "crash-it")) {
                TopicAdmin.ensure(admin, topics.all());
            }
            probe.publishAll(topics.questions().name(), records);

            QuestionStore store = new QuestionStore(mongo.getDatabase(run));
            // The LLM answers a known number of calls, then holds every later one: each kill comes with those answers
            // stored and other calls in flight, mid-batch, on any machine.
            llm.answerThenHang(40);
            ServiceProcess first = breakwater(List.of("qa-worker"), environment, log, "QA worker");
            await().atMost(READY).until(() -> answeredInStore(store, "k-", questions) == 40 && llm.calls() > 40);
            first.kill();
            int heldAtFirstKill = settledCalls(llm) - 40;

            llm.answerThenHang(100);
            ServiceProcess second = breakwater(List.of("qa-worker"), environment, log, "QA worker");
            await().atMost(READY).until(() -> answeredInStore(store, "k-", questions) == 140
                    && llm.calls() > 40 + heldAtFirstKill + 100);
            second.kill();
            int heldAtSecondKill = settledCalls(llm) - 140 - heldAtFirstKill;

            llm.mode(LlmDouble.Mode.ANSWER);
            try (ServiceProcess third = breakwater(List.of("qa-worker"), environment, log, "QA worker")) {
                Duration finishing = awaitOrShowLog(third, () -> answeredInStore(store, "k-", questions) == questions);
                List<ConsumerRecord<byte[], byte[]>> answers = probe.readAll(topics.answers().name(), Duration.ofSeconds(2));
                System.out.printf("Killed a worker twice: %d questions, %d LLM calls (%d and %d in flight at the kills),"
                        + " %d answers on %s, finished %d ms after the last restart was ready%n", questions, llm.calls(),
                        heldAtFirstKill, heldAtSecondKill, answers.size(), topics.answers().name(), finishing.toMillis());
                assertThat(ids(answers)).hasSize(questions);
                assertThat(answers).as("one answer per question, none twice").hasSize(questions);
                // An LLM answer is stored the moment it comes: a kill costs only the calls in flight, and no question
                // the LLM answered is asked again.
                assertThat(llm.answeredQuestions()).as("the LLM answered each question once").hasSize(questions)
                        .doesNotHaveDuplicates();
                assertThat(heldAtFirstKill + heldAtSecondKill).as("calls in flight at the kills, under the limit's ceiling")
                        .isLessThanOrEqualTo(2 * QaWorkerSettings.DEFAULT_CONCURRENCY);
                assertThat(llm.calls()).isEqualTo(questions + heldAtFirstKill + heldAtSecondKill);
            }
        }
    }

    @Test
    void shouldKeepAndFinishEveryAcceptedQuestionWhenUpIsKilledAndRestartedOnItsData() throws Exception {
        int apiPort = FreePort.find();
        Map<String, String> environment = environment(Map.of(
                "data.dir", dir.resolve("data").toString(),
                "embedded.kafka.port", Integer.toString(FreePort.find()),
                "embedded.mongo.port", Integer.toString(FreePort.find()),
                "api.port", Integer.toString(apiPort),
                "api.host", "127.0.0.1"));
        Path log = dir.resolve("up.log");
        List<String> ids = new ArrayList<>();

        try (LlmDouble llm = LlmDouble.start()) {
            // The LLM holds every call until the restart: the kill always comes before any answer, on any machine.
            llm.mode(LlmDouble.Mode.HANG);
            environment.putAll(Map.of("BW_LLM_URL", llm.baseUrl(), "BW_LLM_MODEL", "m"));
            ServiceProcess up = breakwater(List.of("up"), environment, log, "Breakwater is up.");
            for (int i = 0; i < 60; i++) {
                ids.add(ask(apiPort, "Accepted before the crash " + i + "?"));
            }
            await().atMost(READY).until(() -> llm.calls() >= 1);
            up.kill();
            llm.mode(LlmDouble.Mode.ANSWER);

            try (ServiceProcess restarted = breakwater(List.of("up"), environment, log, "Breakwater is up.")) {
                Duration finishing = awaitOrShowLog(restarted,
                        () -> ids.stream().allMatch(id -> "answered".equals(status(apiPort, id))));
                String bootstrap = "127.0.0.1:" + environment.get("BW_EMBEDDED_KAFKA_PORT");
                List<ConsumerRecord<byte[], byte[]>> answers = new TopicProbe(bootstrap).readAll("qa.answers", Duration.ofSeconds(2));
                System.out.printf("Killed breakwater up: %d questions accepted, %d LLM calls, %d answers, finished %d ms"
                        + " after the restart was ready%n", ids.size(), llm.calls(), answers.size(), finishing.toMillis());
                assertThat(ids(answers)).containsExactlyInAnyOrderElementsOf(ids);
                assertThat(answers).as("one answer per question, none twice").hasSize(ids.size());
                assertThat(answers).allSatisfy(record -> assertThat(EventJson.decode(record.value(), AnswerEvent.class)
                        .status()).isEqualTo(QuestionStatus.ANSWERED));
            }
        }
    }

    /**
     * The double's call count once it has heard every call a killed worker sent: a request written just before the
     * kill still arrives after it. Counted while the double holds calls, so none of them takes an answer.
     */
    private static int settledCalls(LlmDouble llm) {
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger(-1);
        await().atMost(READY).pollInterval(Duration.ofMillis(300))
                .until(() -> seen.getAndSet(llm.calls()) == llm.calls());
        return llm.calls();
    }

    /** Waits for {@code done}; if it does not come, fails with what the restarted process logged, to show why. */
    private static Duration awaitOrShowLog(ServiceProcess process, Callable<Boolean> done) {
        long from = System.nanoTime();
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(done);
            return Duration.ofNanos(System.nanoTime() - from);
        } catch (ConditionTimeoutException e) {
            String tail = process.logTail(200);
            String lastComplaint = tail.lines().filter(line -> line.contains(" WARN ") || line.contains(" ERROR "))
                    .reduce((first, second) -> second).orElse("no warning logged");
            throw new AssertionError("not finished within 90 s after the restart; last warning: " + lastComplaint
                    + "\nthe end of its log:\n" + tail, e);
        }
    }

    private static Map<String, String> environment(Map<String, String> settings) {
        Map<String, String> environment = new HashMap<>();
        settings.forEach((key, value) -> environment.put(Settings.variableName(key), value));
        return environment;
    }

    private static String ask(int port, String question) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/questions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"" + question + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(202);
        return EventJson.mapper().readTree(response.body()).get("id").asText();
    }

    private static String status(int port, String id) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/questions/" + id)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? EventJson.mapper().readTree(response.body()).get("status").asText() : null;
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static long answeredInStore(QuestionStore store, String prefix, int count) {
        long answered = 0;
        for (int i = 0; i < count; i++) {
            answered += store.find(prefix + i).filter(record -> record.status() == QuestionStatus.ANSWERED).isPresent() ? 1 : 0;
        }
        return answered;
    }

    private static Set<String> ids(List<ConsumerRecord<byte[], byte[]>> records) {
        Set<String> ids = new HashSet<>();
        records.forEach(record -> ids.add(new String(record.key(), StandardCharsets.UTF_8)));
        return ids;
    }

    /** {@code breakwater <args>} in a JVM of its own, ready once its output shows {@code ready}. */
    private static ServiceProcess breakwater(List<String> args, Map<String, String> environment, Path log, String ready) {
        return ServiceProcess.start(Breakwater.class.getName(), List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"), args,
                environment, log, ready, READY);
    }
}
