package io.breakwater.core.park;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionRecord;
import io.breakwater.core.store.QuestionStore;

import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.TopicProbe;

@ExtendWith(EmbeddedServersExtension.class)
class DeadLetterQueueIT {

    private Topics topics;
    private TopicProbe probe;
    private DeadLetterQueue queue;
    private String dlq;
    private MongoClient mongo;
    private QuestionStore store;

    @BeforeEach
    void createTopics(EmbeddedServers servers) {
        String prefix = "dlq-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        KafkaSettings kafka = new KafkaSettings(servers.bootstrapServers(), Map.of());
        topics = Topics.from(Settings.of(Map.of("topic.prefix", prefix)));
        try (Admin admin = KafkaClients.createAdmin(kafka, "dlq-it")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        probe = new TopicProbe(servers.bootstrapServers());
        String database = prefix.replace(".", "");
        mongo = MongoConnections.open(new MongoSettings(servers.mongoUri(), database));
        store = new QuestionStore(mongo.getDatabase(database));
        queue = new DeadLetterQueue(kafka, topics, store);
        dlq = topics.questionsDeadLetter().name();
    }

    @Test
    void shouldCountLettersByReasonAndShowExamples() {
        letter("a", DeadLetters.REASON_PARK_LIMIT);
        letter("b", DeadLetters.REASON_PARK_LIMIT);
        letter("c", DeadLetters.REASON_MALFORMED);

        DeadLetterQueue.Summary summary = queue.summarize(dlq, 2);

        assertThat(summary.total()).isEqualTo(3);
        assertThat(summary.byReason()).containsExactlyInAnyOrderEntriesOf(Map.of("park-limit", 2, "malformed", 1));
        assertThat(summary.examples()).hasSize(2).allSatisfy(letter -> {
            assertThat(letter.errorMessage()).isEqualTo("it failed");
            assertThat(letter.originTopic()).isEqualTo(topics.questions().name());
        });
    }

    @Test
    void shouldPutLettersBackOnTheirOriginOnceEachWithAFreshParkCount() {
        letter("a", DeadLetters.REASON_PARK_LIMIT);
        letter("b", DeadLetters.REASON_MALFORMED);
        letter("c", DeadLetters.REASON_PARK_LIMIT);
        letter("d", DeadLetters.REASON_PARK_LIMIT);

        DeadLetterQueue.Replay first = queue.replay(dlq, Optional.of(DeadLetters.REASON_PARK_LIMIT), 2);
        DeadLetterQueue.Replay second = queue.replay(dlq, Optional.of(DeadLetters.REASON_PARK_LIMIT), 10);
        DeadLetterQueue.Replay third = queue.replay(dlq, Optional.empty(), 10);

        assertThat(first.replayed()).isEqualTo(2);
        assertThat(first.byOriginTopic()).containsExactlyEntriesOf(Map.of(topics.questions().name(), 2));
        assertThat(second.replayed()).isEqualTo(1);
        assertThat(second.alreadyReplayed()).isEqualTo(2);
        assertThat(third.replayed()).as("only the malformed letter is left").isEqualTo(1);
        assertThat(queue.replay(dlq, Optional.empty(), 10).replayed()).isZero();

        List<ConsumerRecord<byte[], byte[]>> back = probe.readAll(topics.questions().name(), Duration.ofSeconds(1));
        assertThat(back).extracting(record -> new String(record.key(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder("a", "b", "c", "d");
        assertThat(back).allSatisfy(record -> {
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.PARK_COUNT)).isNull();
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.REASON)).isNull();
            assertThat(WorkHeaders.text(record.headers(), WorkHeaders.REPLAYED_FROM)).startsWith(dlq + "/");
            assertThat(WorkHeaders.text(record.headers(), "trace-id")).isEqualTo("t-1");
        });
        assertThat(queue.summarize(dlq, 0).replayed()).isEqualTo(4);
    }

    @AfterEach
    void closeStore() {
        mongo.close();
    }

    @Test
    void shouldOpenTheFailedQuestionsItPutsBackAgainAndLeaveAnsweredOnesAlone() {
        store.recordOutcomes(List.of(
                AnswerEvent.failed("a", "Q?", "the LLM failed it", Instant.now()),
                AnswerEvent.answered("b", "Q?", "Yes.", List.of(), new AnsweredBy(AnsweredBy.LLM, "m"), Instant.now())));
        letter("a", DeadLetters.REASON_PARK_LIMIT);
        letter("b", DeadLetters.REASON_MALFORMED);

        assertThat(queue.replay(dlq, Optional.empty(), 10).replayed()).isEqualTo(2);

        assertThat(store.find("a")).get().satisfies(question -> {
            assertThat(question.status()).isEqualTo(QuestionStatus.QUEUED);
            assertThat(question.reason()).contains("put back from " + dlq);
        });
        assertThat(store.findAnswered(List.of("a"))).as("a worker answers it afresh").isEmpty();
        assertThat(store.find("b")).get().extracting(QuestionRecord::status).isEqualTo(QuestionStatus.ANSWERED);
    }

    @Test
    void shouldEndTheQuestionsItOpenedAsTheyWereWhenTheirLettersCannotBePutBack(EmbeddedServers servers)
            throws Exception {
        store.recordOutcomes(List.of(AnswerEvent.failed("a", "Q?", "the LLM failed it", Instant.now())));
        letter("a", DeadLetters.REASON_PARK_LIMIT);
        KafkaSettings impatient = new KafkaSettings(servers.bootstrapServers(), Map.of("max.block.ms", "1500"));
        try (Admin admin = KafkaClients.createAdmin(impatient, "dlq-it-delete")) {
            // The home topic is gone (and is not created on demand): the put-back record cannot be sent.
            admin.deleteTopics(List.of(topics.questions().name())).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        DeadLetterQueue failing = new DeadLetterQueue(impatient, topics, store);

        assertThatThrownBy(() -> failing.replay(dlq, Optional.empty(), 10)).isInstanceOf(RuntimeException.class);

        assertThat(store.find("a")).get().satisfies(question -> {
            assertThat(question.status()).isEqualTo(QuestionStatus.FAILED);
            assertThat(question.reason()).isEqualTo("the LLM failed it");
        });
        assertThat(queue.summarize(dlq, 0).replayed()).isZero();
    }

    @Test
    void shouldRefuseToPutQuestionsBackWithoutTheStoreThatOpensThemAgain(EmbeddedServers servers) {
        letter("a", DeadLetters.REASON_PARK_LIMIT);
        DeadLetterQueue withoutStore = new DeadLetterQueue(new KafkaSettings(servers.bootstrapServers(), Map.of()),
                topics, null);

        assertThatThrownBy(() -> withoutStore.replay(dlq, Optional.empty(), 10))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("question store");
        assertThat(probe.readAll(topics.questions().name(), Duration.ofMillis(500))).isEmpty();
    }

    private void letter(String key, String reason) {
        Headers headers = new RecordHeaders();
        headers.add("trace-id", "t-1".getBytes(StandardCharsets.UTF_8));
        WorkHeaders.set(headers, WorkHeaders.REASON, reason);
        WorkHeaders.set(headers, WorkHeaders.PARK_COUNT, "6");
        WorkHeaders.set(headers, WorkHeaders.ERROR_CLASS, "java.lang.Exception");
        WorkHeaders.set(headers, WorkHeaders.ERROR_MESSAGE, "it failed");
        WorkHeaders.set(headers, WorkHeaders.ORIGIN_TOPIC, topics.questions().name());
        WorkHeaders.set(headers, WorkHeaders.ORIGIN_PARTITION, "0");
        WorkHeaders.set(headers, WorkHeaders.ORIGIN_OFFSET, "1");
        probe.publish(dlq, key.getBytes(StandardCharsets.UTF_8),
                ("{\"id\":\"" + key + "\",\"question\":\"Q?\"}").getBytes(StandardCharsets.UTF_8), headers);
    }
}
