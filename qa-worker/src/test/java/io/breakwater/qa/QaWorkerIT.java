package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawledPage;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.event.Source;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.park.DeadLetterQueue;
import io.breakwater.core.park.Parking;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.QuestionRecord;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.embedded.EmbeddedMongo;
import io.breakwater.embedded.FreePort;
import io.breakwater.testkit.FreezableProxy;
import io.breakwater.testkit.LlmDouble.Mode;
import io.breakwater.testkit.LlmDouble;

class QaWorkerIT extends QaWorkerTesting {

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
    void shouldAnswerWithoutContextAndSaySoWhileTheVectorDbBreakerIsOpen() {
        try (Admin admin = KafkaClients.createAdmin(KafkaSettings.from(Settings.of(settings)), "qa-it")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        CrawledPage page = CrawledPage.of("http://harbour.example/vector", "Vector harbour",
                "The Vector breakwater is 431 metres long.", null);
        probe.publish(topics.crawlPages().name(), page.url().getBytes(StandardCharsets.UTF_8), EventJson.encode(page));
        // Forced open by an operator before the worker starts: it reads breaker.control before its first question.
        override("vector_db", BreakerOverride.Mode.FORCE_OPEN);
        startWorker();

        publish("blind-1", "{\"id\":\"blind-1\",\"question\":\"How long is the Vector breakwater?\"}");
        AnswerEvent blind = answers(1).get(0);
        assertThat(blind.status()).as("answered, neither parked nor lost").isEqualTo(QuestionStatus.ANSWERED);
        assertThat(blind.answer()).isEqualTo(OfflineAnswerer.NO_CONTEXT);
        assertThat(blind.answeredBy().withoutContext()).contains("vector_db is open");
        assertThat(store.find("blind-1").orElseThrow().answeredBy().withoutContext()).contains("vector_db is open");

        override("vector_db", BreakerOverride.Mode.AUTO);
        await().atMost(WAIT).untilAsserted(() -> {
            String id = "seeing-" + System.nanoTime();
            publish(id, "{\"id\":\"" + id + "\",\"question\":\"How long is the Vector breakwater?\"}");
            AnswerEvent seeing = await().atMost(WAIT).until(() -> byId(answersSoFar()).get(id), java.util.Objects::nonNull);
            assertThat(seeing.answer()).contains("431 metres");
            assertThat(seeing.answeredBy().withoutContext()).isNull();
        });
    }

    @Test
    void shouldAnswerEveryQuestionFromTheFallbackWhenThePrimaryLlmIsDeadParkingNone() {
        LlmDouble fallback = resources.add(LlmDouble.start());
        settings.put("llm.url", "http://127.0.0.1:" + FreePort.find() + "/v1");
        settings.put("llm.model", "primary-model");
        settings.put("llm.fallback.url", fallback.baseUrl());
        settings.put("llm.fallback.model", "backup-model");
        startWorker();

        List<String> ids = publishQuestions(20);

        Map<String, AnswerEvent> answered = byId(answers(20));
        assertThat(answered.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(answered.values()).allSatisfy(answer -> {
            assertThat(answer.status()).isEqualTo(QuestionStatus.ANSWERED);
            assertThat(answer.answeredBy()).isEqualTo(new AnsweredBy(AnsweredBy.LLM, "backup-model", null, 1));
        });
        assertThat(fallback.answeredQuestions()).hasSize(20);
        assertThat(probe.readToEnd(topics.parkedQuestions().name(), WAIT)).as("none parked").isEmpty();
        assertThat(store.find("q-0").orElseThrow().answeredBy().depth()).isEqualTo(1);
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
        FreezableProxy proxy = mongoBehindProxy();
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
    void shouldAnswerFromTheLlmWhenOneIsConfigured() {
        LlmDouble llm = startLlm();
        settings.put("llm.model", "test-model");
        startWorker();

        publish("q-1", "{\"id\":\"q-1\",\"question\":\"What is Kafka?\"}");

        AnswerEvent answer = answers(1).get(0);
        assertThat(answer.answer()).isEqualTo(LlmDouble.answerTo("What is Kafka?"));
        assertThat(answer.answeredBy()).as("the primary: depth 0")
                .isEqualTo(new AnsweredBy(AnsweredBy.LLM, "test-model", null, 0));
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
        assertThat(answer.reason()).isEqualTo("the LLM rejected the request with HTTP 400: unsupported value: temperature");
        assertThat(worker.llmBreaker().breaker().isClosed()).isTrue();
        assertThat(llm.calls()).isEqualTo(1);
    }
}
