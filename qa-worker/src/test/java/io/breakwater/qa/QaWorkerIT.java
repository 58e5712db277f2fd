package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawledPage;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.event.Source;
import io.breakwater.core.park.DeadLetterQueue;
import io.breakwater.core.park.Parking;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionRecord;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topics;
import io.breakwater.embedded.EmbeddedMongo;
import io.breakwater.embedded.FreePort;
import io.breakwater.embedded.junit.EmbeddedServers;
import io.breakwater.embedded.junit.EmbeddedServersExtension;
import io.breakwater.embedded.junit.FreezableProxy;
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
    void shouldAnswerFromTheCrawledPageThatHoldsTheFactAndCiteIt() {
        // Published before the worker starts: it reads crawl.pages from the beginning.
        try (Admin admin = KafkaClients.createAdmin(KafkaSettings.from(Settings.of(settings)), "qa-it")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        CrawledPage page = CrawledPage.of("http://harbour.example/lirwick", "Lirwick harbour",
                "The harbour has two basins.\n\nThe Lirwick breakwater was finished in 1923 and is 812 metres long.", null);
        probe.publish(topics.crawlPages().name(), page.url().getBytes(StandardCharsets.UTF_8), EventJson.encode(page));
        startWorker();
        CrawledPage later = CrawledPage.of("http://harbour.example/tides", "Tides", "Spring tides rise highest after a"
                + " full moon.", null);
        probe.publish(topics.crawlPages().name(), later.url().getBytes(StandardCharsets.UTF_8), EventJson.encode(later));

        publish("fact-1", "{\"id\":\"fact-1\",\"question\":\"How long is the Lirwick breakwater?\"}");
        publish("none-1", "{\"id\":\"none-1\",\"question\":\"Who painted the Mona Lisa?\"}");

        List<AnswerEvent> answers = answers(2);
        AnswerEvent fact = answers.stream().filter(answer -> answer.id().equals("fact-1")).findFirst().orElseThrow();
        assertThat(fact.answer()).contains("812 metres");
        assertThat(fact.sources()).containsExactly(new Source(page.url(), page.title()));
        AnswerEvent none = answers.stream().filter(answer -> answer.id().equals("none-1")).findFirst().orElseThrow();
        assertThat(none.answer()).as("says so rather than inventing").isEqualTo(OfflineAnswerer.NO_CONTEXT);
        assertThat(none.sources()).isEmpty();
    }

    @Test
    void shouldParkQuestionsWhileMongoDbIsDownAndAnswerEachOnceItIsBack(@TempDir Path dir) {
        int port = FreePort.find();
        Path file = dir.resolve("mongo.h2");
        EmbeddedMongo mongo = EmbeddedMongo.persistent(file, port);
        settings.put("mongo.uri", mongo.connectionString());
        settings.put("breaker.mongodb.open.seconds", "2");
        startWorker();
        publish("m-0", "{\"id\":\"m-0\",\"question\":\"Before the outage?\"}");
        answers(1);

        mongo.close();
        List<String> ids = List.of("m-1", "m-2", "m-3");
        ids.forEach(id -> publish(id, "{\"id\":\"" + id + "\",\"question\":\"During the outage " + id + "?\"}"));

        List<ConsumerRecord<byte[], byte[]>> parked = probe.readUntil(topics.parkedQuestions().name(),
                read -> ids.stream().allMatch(id -> read.stream().anyMatch(record -> new String(record.key()).equals(id))),
                Duration.ofSeconds(60));
        assertThat(parked).as("parked, not failed or dead-lettered").isNotEmpty()
                .allSatisfy(record -> assertThat(WorkHeaders.text(record.headers(), WorkHeaders.BREAKER)).isEqualTo("mongodb"));

        try (EmbeddedMongo back = EmbeddedMongo.persistent(file, port)) {
            List<AnswerEvent> answers = answers(4);
            assertThat(answers).extracting(AnswerEvent::id).containsExactlyInAnyOrder("m-0", "m-1", "m-2", "m-3");
            assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).isEqualTo(QuestionStatus.ANSWERED));
            assertThat(probe.readAll(topics.questionsDeadLetter().name(), Duration.ofSeconds(1))).isEmpty();
        }
    }

    @Test
    void shouldParkQuestionsWhileMongoDbStopsAnsweringAndAnswerEachOnceItAnswersAgain() {
        // A paused server or a partition: connections stay open, nothing comes back. Worker threads must not wait
        // forever on a socket read, which an interrupt cannot end.
        URI direct = URI.create(servers.mongoUri());
        FreezableProxy proxy = FreezableProxy.to(direct.getHost(), direct.getPort());
        resources.add(proxy);
        settings.put("mongo.uri", "mongodb://127.0.0.1:" + proxy.port());
        settings.put("breaker.mongodb.open.seconds", "2");
        settings.put("breaker.mongodb.timeout.seconds", "2");
        startWorker();
        publish("h-0", "{\"id\":\"h-0\",\"question\":\"Before it hangs?\"}");
        answers(1);

        proxy.freeze();
        List<String> ids = List.of("h-1", "h-2", "h-3");
        ids.forEach(id -> publish(id, "{\"id\":\"" + id + "\",\"question\":\"While it hangs " + id + "?\"}"));
        List<ConsumerRecord<byte[], byte[]>> parked = probe.readUntil(topics.parkedQuestions().name(),
                read -> ids.stream().allMatch(id -> read.stream().anyMatch(record -> new String(record.key()).equals(id))),
                // Within the client's 15 s read timeout and the breaker's figures, with room to spare; without the read
                // timeout, only the driver's own monitor frees the threads, after more than a minute here.
                Duration.ofSeconds(45));
        assertThat(parked).extracting(record -> new String(record.key(), StandardCharsets.UTF_8)).as("parked in time")
                .containsAll(ids);
        assertThat(parked).as("parked, not failed or dead-lettered")
                .allSatisfy(record -> assertThat(WorkHeaders.text(record.headers(), WorkHeaders.BREAKER)).isEqualTo("mongodb"));

        proxy.thaw();
        List<AnswerEvent> answers = probe.readUntil(topics.answers().name(), read -> read.size() >= 4, Duration.ofSeconds(90))
                .stream().map(record -> EventJson.decode(record.value(), AnswerEvent.class)).toList();
        assertThat(answers).extracting(AnswerEvent::id).containsExactlyInAnyOrder("h-0", "h-1", "h-2", "h-3");
        assertThat(probe.readAll(topics.questionsDeadLetter().name(), Duration.ofSeconds(1))).isEmpty();
    }

    @Test
    void shouldNotAskTheLlmAgainForAnAnswerInHandWhenMongoDbStallsBeforeTheCommit() {
        URI direct = URI.create(servers.mongoUri());
        FreezableProxy proxy = FreezableProxy.to(direct.getHost(), direct.getPort());
        resources.add(proxy);
        settings.put("mongo.uri", "mongodb://127.0.0.1:" + proxy.port());
        settings.put("breaker.mongodb.open.seconds", "2");
        settings.put("breaker.mongodb.timeout.seconds", "2");
        LlmDouble llm = startLlm();
        llm.mode(Mode.HANG);
        startWorker();

        publish("s-1", "{\"id\":\"s-1\",\"question\":\"Answered while the store stalls?\"}");
        // The question was looked up in MongoDB and is with the LLM; MongoDB stalls before the answer can be stored.
        await().atMost(WAIT).until(() -> llm.calls() >= 1);
        proxy.freezeDropping();
        llm.mode(Mode.ANSWER);
        await().atMost(WAIT).until(() -> !probe.readAll(topics.parkedQuestions().name(), Duration.ofMillis(200)).isEmpty());
        proxy.thaw();

        AnswerEvent answer = answers(1).get(0);
        assertThat(answer.answer()).isEqualTo(LlmDouble.answerTo("Answered while the store stalls?"));
        awaitStatuses(List.of("s-1"), QuestionStatus.ANSWERED);
        assertThat(probe.readAll(topics.answers().name(), Duration.ofSeconds(1))).as("answered once").hasSize(1);
        assertThat(llm.calls()).as("the answer in hand was reused, not asked for again").isEqualTo(1);
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
        assertThat(dead).extracting(record -> WorkHeaders.text(record.headers(), WorkHeaders.REASON))
                .containsExactlyInAnyOrder("malformed", "malformed", "malformed", "too-large");
        assertThat(dead).allSatisfy(record -> {
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.ERROR_CLASS)).isNotBlank();
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.ERROR_MESSAGE)).isNotBlank();
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.ORIGIN_TOPIC)).isEqualTo(topics.questions().name());
        });
        ConsumerRecord<byte[], byte[]> junk = dead.stream()
                .filter(record -> new String(record.value(), StandardCharsets.UTF_8).equals("this is not json"))
                .findFirst().orElseThrow();
        assertThat(WorkHeaders.text(junk.headers(), WorkHeaders.ERROR_MESSAGE)).startsWith("the value is not valid JSON");

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
    void shouldParkQuestionsWithoutCallingTheLlmWhileItsBreakerIsOpenAndAnswerEachOnceItRecovers() {
        LlmDouble llm = startLlm();
        llm.mode(Mode.FAIL_500);
        settings.putAll(Map.of(
                // One call at a time, so that no call is already in flight when the third failure opens the breaker.
                "qa.concurrency", "1",
                "breaker.llm_service.failures", "3",
                "breaker.llm_service.retries", "0",
                "breaker.llm_service.open.seconds", "3",
                "qa.park.backoff.seconds", "0.2",
                "qa.replay.rate.per.second", "100"));
        startWorker();

        List<String> ids = publishQuestions(10);

        awaitStatuses(ids, QuestionStatus.PARKED);
        List<ConsumerRecord<byte[], byte[]>> parked = probe.readAtLeast(topics.parkedQuestions().name(), 10, WAIT);
        assertThat(parked).extracting(record -> WorkHeaders.text(record.headers(), WorkHeaders.REASON))
                .containsOnly(Parking.REASON_DEPENDENCY_FAILED, Parking.REASON_BREAKER_OPEN)
                .filteredOn(Parking.REASON_BREAKER_OPEN::equals).hasSize(7);
        assertThat(parked).allSatisfy(record -> {
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.BREAKER)).isEqualTo("llm_service");
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.PARK_COUNT)).isIn("0", "1");
            assertThat(WorkHeaders.instant(record.headers(), WorkHeaders.PARKED_AT)).isPresent();
            assertThat(WorkHeaders.instant(record.headers(), WorkHeaders.NOT_BEFORE)).isPresent();
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.ORIGIN_TOPIC)).isEqualTo(topics.questions().name());
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.ORIGIN_OFFSET)).isNotNull();
        });
        assertThat(store.find(ids.get(9))).get().satisfies(record -> {
            assertThat(record.reason()).isEqualTo(QuestionHandler.PARKED_WHILE_OPEN);
            assertThat(record.nextAttemptAt()).isNotNull();
        });

        llm.mode(Mode.ANSWER);

        List<AnswerEvent> answers = answers(10);
        assertThat(answers).extracting(AnswerEvent::id).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).isEqualTo(QuestionStatus.ANSWERED));
        assertThat(probe.readAll(topics.answers().name(), Duration.ofSeconds(1))).as("no question answered twice").hasSize(10);
        List<LlmDouble.Call> failures = llm.callLog().stream().filter(call -> call.status() == 500).toList();
        assertThat(failures).as("calls that reached the failing LLM").hasSizeGreaterThanOrEqualTo(3);
        // After the third failure the breaker is open for 3 s: a later failing call is only its half-open probe,
        // one per open period (a slow machine may reach one before the test switches the LLM back).
        for (int i = 3; i < failures.size(); i++) {
            assertThat(failures.get(i).startNanos() - failures.get(i - 1).endNanos())
                    .as("failing call %d came while the breaker was open", i + 1)
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(3).toNanos());
        }
        assertThat(llm.callLog()).filteredOn(call -> call.status() == 200).as("one answering call per question")
                .hasSize(10);
        awaitStatuses(ids, QuestionStatus.ANSWERED);
    }

    @Test
    void shouldStopReplayingWhenTheBreakerOpensAgainAndFinishOnceItClosesLosingNothing() {
        LlmDouble llm = startLlm();
        llm.mode(Mode.DOWN);
        settings.putAll(Map.of(
                "breaker.llm_service.failures", "2",
                "breaker.llm_service.retries", "0",
                "breaker.llm_service.open.seconds", "0.5",
                "qa.park.backoff.seconds", "0.1",
                "qa.replay.rate.per.second", "10"));
        startWorker();
        List<String> ids = publishQuestions(30);
        awaitStatuses(ids, QuestionStatus.PARKED);

        llm.mode(Mode.ANSWER);
        await().atMost(WAIT).until(() -> llm.calls() >= 5);
        llm.mode(Mode.FAIL_500);
        int callsWhenItFailed = llm.calls();
        await().atMost(WAIT).until(() -> llm.calls() >= callsWhenItFailed + 2);
        int answeredDuringTheOutage = answeredCount(ids);
        llm.mode(Mode.ANSWER);

        List<AnswerEvent> answers = answers(30);
        assertThat(answers).extracting(AnswerEvent::id).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).isEqualTo(QuestionStatus.ANSWERED));
        assertThat(answeredDuringTheOutage).as("replay had started but not finished when the LLM failed again")
                .isBetween(1, 29);
        assertThat(probe.readAll(topics.parkedQuestions().name(), Duration.ofMillis(500)))
                .as("questions that failed during replay were parked again with their count raised")
                .anySatisfy(record -> assertThat(WorkHeaders.integer(record.headers(), WorkHeaders.PARK_COUNT, 0)).isEqualTo(1));
    }

    @Test
    void shouldDeadLetterAndFailAQuestionThatFailsMoreOftenThanTheParkLimit() {
        LlmDouble llm = startLlm();
        llm.mode(Mode.FAIL_500);
        settings.putAll(Map.of(
                "breaker.llm_service.failures", "1000",
                "breaker.llm_service.retries", "0",
                "qa.park.limit", "2",
                "qa.park.backoff.seconds", "0.1"));
        startWorker();

        publish("doomed", "{\"id\":\"doomed\",\"question\":\"Will this ever work?\"}");

        AnswerEvent failed = answers(1).get(0);
        assertThat(failed.status()).isEqualTo(QuestionStatus.FAILED);
        assertThat(failed.reason()).startsWith("The AI service failed to answer this question 3 times")
                .contains(topics.questionsDeadLetter().name()).contains("HTTP 500: model crashed");
        ConsumerRecord<byte[], byte[]> letter = probe.readAtLeast(topics.questionsDeadLetter().name(), 1, WAIT).get(0);
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.REASON)).isEqualTo(DeadLetters.REASON_PARK_LIMIT);
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.PARK_COUNT)).isEqualTo("3");
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.ORIGIN_TOPIC)).isEqualTo(topics.questions().name());
        assertThat(llm.calls()).isEqualTo(3);
        assertThat(store.find("doomed")).get().extracting(QuestionRecord::status).isEqualTo(QuestionStatus.FAILED);

        // The LLM is fixed; an operator re-drives the dead letter and the question is answered after all.
        llm.mode(Mode.ANSWER);
        DeadLetterQueue queue = new DeadLetterQueue(KafkaSettings.from(Settings.of(settings)), topics, store);
        assertThat(queue.replay(topics.questionsDeadLetter().name(), Optional.of(DeadLetters.REASON_PARK_LIMIT), 10)
                .replayed()).isEqualTo(1);

        List<AnswerEvent> outcomes = answers(2);
        assertThat(outcomes.get(1).status()).isEqualTo(QuestionStatus.ANSWERED);
        awaitStatuses(List.of("doomed"), QuestionStatus.ANSWERED);
    }

    @Test
    void shouldWaitAsLongAsARateLimitedLlmAsksBeforeTryingAgain() {
        LlmDouble llm = startLlm();
        llm.mode(Mode.RATE_LIMITED_429);
        settings.putAll(Map.of("breaker.llm_service.retry.max.delay.seconds", "1"));
        startWorker();

        publish("later", "{\"id\":\"later\",\"question\":\"Not now?\"}");

        ConsumerRecord<byte[], byte[]> parked = probe.readAtLeast(topics.parkedQuestions().name(), 1, WAIT).get(0);
        Instant parkedAt = WorkHeaders.instant(parked.headers(), WorkHeaders.PARKED_AT).orElseThrow();
        Instant notBefore = WorkHeaders.instant(parked.headers(), WorkHeaders.NOT_BEFORE).orElseThrow();
        assertThat(Duration.between(parkedAt, notBefore)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(llm.calls()).as("a Retry-After beyond the longest backoff is not retried in place").isEqualTo(1);
        llm.mode(Mode.ANSWER);
        assertThat(answers(1).get(0).status()).isEqualTo(QuestionStatus.ANSWERED);
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

    @Test
    void shouldParkWithABoundedNotBeforeAndKeepRunningWhenTheLlmAsksToWaitCenturies() {
        LlmDouble llm = startLlm();
        llm.mode(Mode.RATE_LIMITED_429);
        llm.retryAfter("10000000000");
        settings.putAll(Map.of("qa.park.backoff.seconds", "1", "qa.park.max.backoff.seconds", "2"));
        QaWorker worker = startWorker();

        publish("centuries", "{\"id\":\"centuries\",\"question\":\"Come back when?\"}");

        ConsumerRecord<byte[], byte[]> parked = probe.readAtLeast(topics.parkedQuestions().name(), 1, WAIT).get(0);
        Instant parkedAt = WorkHeaders.instant(parked.headers(), WorkHeaders.PARKED_AT).orElseThrow();
        Instant notBefore = WorkHeaders.instant(parked.headers(), WorkHeaders.NOT_BEFORE).orElseThrow();
        assertThat(Duration.between(parkedAt, notBefore)).isEqualTo(Duration.ofSeconds(2));
        llm.mode(Mode.ANSWER);
        assertThat(answers(1).get(0).status()).isEqualTo(QuestionStatus.ANSWERED);
        assertThat(worker.isRunning()).isTrue();
    }

    @Test
    void shouldAnswerAQuestionOfSixHundredDistinctWords() {
        startWorker();
        StringBuilder question = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            // Distinct made-up words within the 4,000-character limit: "xaa", "xab", ...
            question.append('x').append((char) ('a' + i / 26)).append((char) ('a' + i % 26)).append(' ');
        }

        publish("wordy", "{\"id\":\"wordy\",\"question\":\"" + question.toString().strip() + "?\"}");

        AnswerEvent outcome = answers(1).get(0);
        assertThat(outcome.id()).isEqualTo("wordy");
        assertThat(outcome.status()).isEqualTo(QuestionStatus.ANSWERED);
        assertThat(probe.readAll(topics.questionsDeadLetter().name(), Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void shouldNotLetAProducersHeadersSteerADeadLetterReplay() {
        startWorker();
        org.apache.kafka.common.header.internals.RecordHeaders forged = new org.apache.kafka.common.header.internals.RecordHeaders();
        forged.add(WorkHeaders.ORIGIN_TOPIC, topics.breakerControl().name().getBytes(StandardCharsets.UTF_8));
        forged.add(WorkHeaders.PARK_COUNT, "99".getBytes(StandardCharsets.UTF_8));
        probe.publish(topics.questions().name(), "llm_service".getBytes(StandardCharsets.UTF_8),
                "{\"state\":\"FORCED_OPEN\"}".getBytes(StandardCharsets.UTF_8), forged);

        ConsumerRecord<byte[], byte[]> letter = probe.readAtLeast(topics.questionsDeadLetter().name(), 1, WAIT).get(0);
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.ORIGIN_TOPIC)).isEqualTo(topics.questions().name());
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.UNTRUSTED_PREFIX + WorkHeaders.ORIGIN_TOPIC))
                .isEqualTo(topics.breakerControl().name());
        DeadLetterQueue queue = new DeadLetterQueue(KafkaSettings.from(Settings.of(settings)), topics, store);
        DeadLetterQueue.Replay replay = queue.replay(topics.questionsDeadLetter().name(), Optional.empty(), 10);

        assertThat(replay.byOriginTopic()).containsOnlyKeys(topics.questions().name());
        assertThat(probe.readAll(topics.breakerControl().name(), Duration.ofMillis(500))).isEmpty();
    }

    @Test
    void shouldEndAQuestionFailedWithItsDeadLetterWhenItsAnswerDoesNotFitTheAnswersTopic() throws Exception {
        try (Admin admin = KafkaClients.createAdmin(KafkaSettings.from(Settings.of(settings)), "small-answers")) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topics.answers().name(), 1, (short) 1)
                    .configs(Map.of("max.message.bytes", "1200")))).all().get();
        }
        startWorker();

        publish("huge", "{\"id\":\"huge\",\"question\":\"" + "Why is the harbour wall so long? ".repeat(40) + "\"}");
        publish("small", "{\"id\":\"small\",\"question\":\"Why?\"}");

        Map<String, AnswerEvent> outcomes = byId(answers(2));
        assertThat(outcomes.get("huge").status()).isEqualTo(QuestionStatus.FAILED);
        assertThat(outcomes.get("huge").reason()).contains(DeadLetters.REASON_OUTPUT_TOO_LARGE);
        assertThat(outcomes.get("small").status()).isEqualTo(QuestionStatus.ANSWERED);
        ConsumerRecord<byte[], byte[]> letter = probe.readAtLeast(topics.questionsDeadLetter().name(), 1, WAIT).get(0);
        assertThat(WorkHeaders.text(letter.headers(), WorkHeaders.REASON)).isEqualTo(DeadLetters.REASON_OUTPUT_TOO_LARGE);
        awaitStatuses(List.of("huge"), QuestionStatus.FAILED);
    }

    @Test
    void shouldRepublishAStoredFailureInsteadOfAskingAgainWhenItsTransactionDidNotCommit() {
        LlmDouble llm = startLlm();
        // As a worker leaves it when it dies between storing an outcome and committing it.
        store.recordOutcomes(List.of(AnswerEvent.failed("refused", "Rejected before?", "the LLM rejected it", Instant.now())));
        startWorker();

        publish("refused", "{\"id\":\"refused\",\"question\":\"Rejected before?\"}");

        AnswerEvent outcome = answers(1).get(0);
        assertThat(outcome.status()).isEqualTo(QuestionStatus.FAILED);
        assertThat(outcome.reason()).isEqualTo("the LLM rejected it");
        assertThat(llm.calls()).as("a question a caller has seen fail is not asked again").isZero();
    }

    /**
     * Review evidence (issue 12): {@code WorkHeaders.distrust} keeps {@code bw.replayed-from} from any producer, and
     * {@code QuestionHandler.handle} then forgets a stored {@code failed} outcome: a plain producer re-drives a question a
     * caller has seen fail, and it ends a second time, {@code answered}. Only {@code dlq replay} should be able to.
     */
    @Test
    void shouldNotLetAProducersForgedReplayedFromEndAFailedQuestionAgain() {
        LlmDouble llm = startLlm();
        store.recordOutcomes(List.of(AnswerEvent.failed("forged", "Rejected before?", "the LLM rejected it", Instant.now())));
        startWorker();

        org.apache.kafka.common.header.internals.RecordHeaders forged = new org.apache.kafka.common.header.internals.RecordHeaders();
        forged.add("bw.replayed-from", "anything/0/0".getBytes(StandardCharsets.UTF_8));
        probe.publish(topics.questions().name(), "forged".getBytes(StandardCharsets.UTF_8),
                "{\"id\":\"forged\",\"question\":\"Rejected before?\"}".getBytes(StandardCharsets.UTF_8), forged);

        AnswerEvent outcome = answers(1).get(0);
        assertThat(outcome.status()).as("a question a caller has seen fail ends only once").isEqualTo(QuestionStatus.FAILED);
        assertThat(llm.calls()).isZero();
    }

    /**
     * Review evidence (issue 12): {@code QuestionStore.recordOutcomes} upserts any outcome over any status, and every
     * dead-letter path with a readable id ({@code deadLetter(MALFORMED)}, the new {@code QuestionHandler.failed}) ends
     * the id {@code failed}: a record with the id of an answered question and a malformed body makes it end a second
     * time, and since this change a stored failure is final, so the answer is gone for good.
     */
    @Test
    void shouldNotEndAnAnsweredQuestionAgainAsFailedBecauseOfAMalformedRecordWithItsId() {
        startLlm();
        store.recordOutcomes(List.of(AnswerEvent.answered("done", "Answered before?", "Yes.", List.of(),
                new io.breakwater.core.event.AnsweredBy(io.breakwater.core.event.AnsweredBy.LLM, "m"), Instant.now())));
        startWorker();

        publish("done", "{\"id\":\"done\",\"question\":{\"not\":\"text\"}}");

        List<ConsumerRecord<byte[], byte[]>> published = probe.readAll(topics.answers().name(), java.time.Duration.ofSeconds(10));
        assertThat(published).as("outcomes published for an id that had ended answered").isEmpty();
        assertThat(store.find("done").orElseThrow().status()).isEqualTo(QuestionStatus.ANSWERED);
    }

    private LlmDouble startLlm() {
        LlmDouble llm = LlmDouble.start();
        resources.add(llm);
        settings.put("llm.url", llm.baseUrl());
        settings.put("llm.model", "test-model");
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

    private List<String> publishQuestions(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = "q-" + i;
            ids.add(id);
            publish(id, "{\"id\":\"" + id + "\",\"question\":\"Question " + i + "?\"}");
        }
        return ids;
    }

    private void awaitStatuses(List<String> ids, QuestionStatus status) {
        await().atMost(WAIT).until(() -> ids.stream().allMatch(id ->
                store.find(id).map(record -> record.status() == status).orElse(false)));
    }

    private int answeredCount(List<String> ids) {
        return (int) ids.stream().filter(id -> store.find(id)
                .map(record -> record.status() == QuestionStatus.ANSWERED).orElse(false)).count();
    }

    private static Map<String, AnswerEvent> byId(List<AnswerEvent> answers) {
        Map<String, AnswerEvent> byId = new HashMap<>();
        answers.forEach(answer -> byId.put(answer.id(), answer));
        return byId;
    }
}
