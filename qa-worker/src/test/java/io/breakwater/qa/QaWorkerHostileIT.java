package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.park.DeadLetterQueue;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.testkit.FreezableProxy;
import io.breakwater.testkit.LlmDouble.Mode;
import io.breakwater.testkit.LlmDouble;

/**
 * The QA worker against hostile input and partial failures (issue 12): records, headers and answers that do not fit,
 * forged headers, dead-letter replays, MongoDB stalling between the LLM's answer and the commit.
 */
class QaWorkerHostileIT extends QaWorkerTesting {

    @Test
    void shouldNotAskTheLlmAgainForAnAnswerInHandWhenMongoDbStallsBeforeTheCommit() {
        FreezableProxy proxy = mongoBehindProxy();
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
    void shouldParkWithABoundedNotBeforeAndKeepRunningWhenTheLlmAsksToWaitCenturies() {
        LlmDouble llm = startLlm();
        llm.mode(Mode.RATE_LIMITED_429);
        llm.retryAfter("10000000000");
        // The cooldown a 429 asks for is bounded too, by the breaker's open time.
        settings.putAll(Map.of("qa.park.backoff.seconds", "1", "qa.park.max.backoff.seconds", "2",
                "breaker.llm_service.open.seconds", "2"));
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
     */    @Test
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
     */    @Test
    void shouldNotEndAnAnsweredQuestionAgainAsFailedBecauseOfAMalformedRecordWithItsId() {
        startLlm();
        store.recordOutcomes(List.of(AnswerEvent.answered("done", "Answered before?", "Yes.", List.of(),
                new AnsweredBy(AnsweredBy.LLM, "m"), Instant.now())));
        startWorker();

        publish("done", "{\"id\":\"done\",\"question\":{\"not\":\"text\"}}");

        List<ConsumerRecord<byte[], byte[]>> published = probe.readAll(topics.answers().name(), java.time.Duration.ofSeconds(10));
        assertThat(published).as("outcomes published for an id that had ended answered").isEmpty();
        assertThat(store.find("done").orElseThrow().status()).isEqualTo(QuestionStatus.ANSWERED);
    }

    /**
     * Review 2 evidence (issue 12): {@code DeadLetterQueue.replay} reopens the id of every chosen letter, taking it from
     * the key when the letter has no value ({@code DeadLetters.fitting} dropped it), and then puts back a record with
     * no value. The worker dead-letters that as malformed, with no readable id, so nothing ends the question again:
     * it stays {@code queued} for good, after a caller saw it fail.
     */    @Test
    void shouldNotLeaveAQuestionQueuedForGoodWhenItsReplayedLetterHadItsValueDropped() throws Exception {
        try (Admin admin = KafkaClients.createAdmin(KafkaSettings.from(Settings.of(settings)), "small-topics")) {
            admin.createTopics(List.of(
                    new org.apache.kafka.clients.admin.NewTopic(topics.answers().name(), 1, (short) 1)
                            .configs(Map.of("max.message.bytes", "1200")),
                    new org.apache.kafka.clients.admin.NewTopic(topics.questionsDeadLetter().name(), 1, (short) 1)
                            .configs(Map.of("max.message.bytes", "1200")))).all().get();
        }
        startWorker();
        publish("huge", "{\"id\":\"huge\",\"question\":\"" + "Why is the harbour wall so long? ".repeat(33) + "\"}");
        ConsumerRecord<byte[], byte[]> first = probe.readAtLeast(topics.questionsDeadLetter().name(), 1, WAIT).get(0);
        assertThat(first.value()).as("the letter's value was dropped to fit").isNull();
        awaitStatuses(List.of("huge"), QuestionStatus.FAILED);

        DeadLetterQueue queue = new DeadLetterQueue(KafkaSettings.from(Settings.of(settings)), topics, store);
        DeadLetterQueue.Replay replay = queue.replay(topics.questionsDeadLetter().name(), Optional.empty(), 10);
        assertThat(replay.replayed()).as("a letter without its value has nothing to put back").isZero();
        assertThat(replay.withoutValue()).isEqualTo(1);

        assertThat(store.find("huge").orElseThrow().status())
                .as("a replayed question ends again, or is not reopened; never queued for good")
                .isEqualTo(QuestionStatus.FAILED);
        assertThat(probe.readAll(topics.questions().name(), Duration.ofSeconds(1))).as("nothing put back").hasSize(1);
    }

    /**
     * Review 2 evidence (issue 12): {@code DeadLetterQueue.questionId} trusts the {@code id} inside any letter, a
     * malformed one included. A producer's malformed record naming a question that failed is dead-lettered (nothing
     * ended, rightly); an operator replaying the malformed letters reopens that question, and the malformed record,
     * handled again, ends it a second time, {@code failed} for a reason that is not its own.
     */    @Test
    void shouldNotReopenAndEndAgainAQuestionNamedByAMalformedLetterOnReplay() {
        store.recordOutcomes(List.of(AnswerEvent.failed("victim", "Failed before?", "the LLM rejected it", Instant.now())));
        startWorker();
        publish("victim", "{\"id\":\"victim\",\"question\":{\"not\":\"text\"}}");
        probe.readAtLeast(topics.questionsDeadLetter().name(), 1, WAIT);

        DeadLetterQueue queue = new DeadLetterQueue(KafkaSettings.from(Settings.of(settings)), topics, store);
        queue.replay(topics.questionsDeadLetter().name(), Optional.of(DeadLetters.REASON_MALFORMED), 10);
        probe.readAtLeast(topics.questionsDeadLetter().name(), 2, WAIT);

        List<ConsumerRecord<byte[], byte[]>> published = probe.readAll(topics.answers().name(), Duration.ofSeconds(2));
        assertThat(published).as("outcomes for a question that ended before, caused by a malformed record").isEmpty();
        assertThat(store.find("victim").orElseThrow().reason()).isEqualTo("the LLM rejected it");
    }

    /**
     * Review 2 evidence (issue 12): {@code beforeCommit} stores an answer in MongoDB before the transaction that
     * publishes it; when that transaction fails for the answer's size (a limit read before the topic was changed, or
     * never read: {@code RecordLimits} then assumes 4 MiB), the record is isolated and {@code QuestionHandler.failed}
     * asks {@code endedBefore}, which finds the answer its own failed batch stored: no outcome is published. MongoDB
     * says answered, {@code qa.answers} has nothing for the id, for good.
     */    @Test
    void shouldPublishAnOutcomeForAQuestionWhoseAnswerIsRefusedByTheBrokerAfterItWasStored() throws Exception {
        // The offline answerer: the outcome carries the question's text, which is what makes it too large.
        startWorker();
        publish("small", "{\"id\":\"small\",\"question\":\"Why?\"}");
        answers(1); // the worker has read qa.answers' limit (1 MiB), which it keeps for 10 minutes
        try (Admin admin = KafkaClients.createAdmin(KafkaSettings.from(Settings.of(settings)), "shrink-answers")) {
            org.apache.kafka.common.config.ConfigResource resource = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topics.answers().name());
            admin.incrementalAlterConfigs(Map.of(resource, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                    new org.apache.kafka.clients.admin.ConfigEntry("max.message.bytes", "1500"),
                    org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
        }
        java.util.Random random = new java.util.Random(12);
        StringBuilder text = new StringBuilder();
        while (text.length() < 3700) {
            for (int i = 0; i < 9; i++) {
                text.append((char) ('a' + random.nextInt(26)));
            }
            text.append(' ');
        }
        publish("huge", "{\"id\":\"huge\",\"question\":\"" + text + "?\"}");

        probe.readAtLeast(topics.questionsDeadLetter().name(), 1, Duration.ofSeconds(60));
        List<AnswerEvent> outcomes = probe.readAll(topics.answers().name(), Duration.ofSeconds(2)).stream()
                .map(record -> EventJson.decode(record.value(), AnswerEvent.class))
                .filter(answer -> answer.id().equals("huge")).toList();
        QuestionStatus stored = store.find("huge").orElseThrow().status();
        assertThat(outcomes).as("qa.answers ends the question (MongoDB says " + stored + ")").hasSize(1);
        assertThat(outcomes.get(0).status()).isEqualTo(stored);
    }

    @Test
    void shouldNotLetAMalformedRecordWhoseDeadLetterIsTooLargeEndAnAnsweredQuestionAgain() throws Exception {
        try (Admin admin = KafkaClients.createAdmin(KafkaSettings.from(Settings.of(settings)), "small-dlq")) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(
                    topics.questionsDeadLetter().name(), 1, (short) 1).configs(Map.of("max.message.bytes", "4000"))))
                    .all().get();
        }
        store.recordOutcomes(List.of(AnswerEvent.answered("kept", "Answered before?", "Yes.", List.of(),
                new AnsweredBy(AnsweredBy.LLM, "m"), Instant.now())));
        startWorker();

        org.apache.kafka.common.header.internals.RecordHeaders big = new org.apache.kafka.common.header.internals.RecordHeaders();
        byte[] noise = new byte[6_000];
        new java.util.Random(7).nextBytes(noise);
        big.add("trace", noise);
        probe.publish(topics.questions().name(), "kept".getBytes(StandardCharsets.UTF_8),
                "{\"id\":\"kept\",\"question\":{\"not\":\"text\"}}".getBytes(StandardCharsets.UTF_8), big);

        probe.readAtLeast(topics.questionsDeadLetter().name(), 1, WAIT);
        assertThat(probe.readAll(topics.answers().name(), Duration.ofSeconds(2)))
                .as("outcomes for an answered question, caused by a hostile record").isEmpty();
        assertThat(store.find("kept").orElseThrow().status()).isEqualTo(QuestionStatus.ANSWERED);
    }
}
