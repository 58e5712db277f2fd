package io.breakwater.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.mongodb.client.MongoClient;

import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.event.Source;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;

@ExtendWith(EmbeddedServersExtension.class)
class QuestionStoreIT {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    private static final AnsweredBy OFFLINE = new AnsweredBy(AnsweredBy.OFFLINE, "extractive");

    private static MongoClient client;
    private static QuestionStore store;

    @BeforeAll
    static void connect(EmbeddedServers servers) {
        client = MongoConnections.open(new MongoSettings(servers.mongoUri(), "store-it"));
        store = new QuestionStore(client.getDatabase("store-it"));
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @Test
    void shouldShowAQueuedQuestionThenItsAnswer() {
        String id = newId();
        store.recordQueued(new QuestionEvent(id, "Why?", T0), T0);

        assertThat(store.find(id)).get().satisfies(record -> {
            assertThat(record.status()).isEqualTo(QuestionStatus.QUEUED);
            assertThat(record.question()).isEqualTo("Why?");
            assertThat(record.submittedAt()).isEqualTo(T0);
        });

        store.recordOutcomes(List.of(AnswerEvent.answered(id, "Why?", "Because.",
                List.of(new Source("https://example.org", "Example")), OFFLINE, T0.plusSeconds(1))));

        assertThat(store.find(id)).get().satisfies(record -> {
            assertThat(record.status()).isEqualTo(QuestionStatus.ANSWERED);
            assertThat(record.answer()).isEqualTo("Because.");
            assertThat(record.sources()).containsExactly(new Source("https://example.org", "Example"));
            assertThat(record.answeredBy()).isEqualTo(OFFLINE);
            assertThat(record.submittedAt()).isEqualTo(T0);
            assertThat(record.answeredAt()).isEqualTo(T0.plusSeconds(1));
        });
    }

    @Test
    void shouldNotTurnAnAnsweredQuestionBackToQueued() {
        String id = newId();
        store.recordOutcomes(List.of(AnswerEvent.answered(id, "Why?", "Because.", List.of(), OFFLINE, T0)));

        store.recordQueued(new QuestionEvent(id, "Why?", T0), T0);

        assertThat(store.find(id)).get().extracting(QuestionRecord::status).isEqualTo(QuestionStatus.ANSWERED);
    }

    @Test
    void shouldLetAFailureReplaceAnAnswerThatCouldNotBePublished() {
        String id = newId();
        store.recordOutcomes(List.of(AnswerEvent.answered(id, "Why?", "Because.", List.of(), OFFLINE, T0)));
        store.recordOutcomes(List.of(AnswerEvent.failed(id, null, "the answer does not fit qa.answers", T0)));

        assertThat(store.find(id)).get().satisfies(question -> {
            assertThat(question.status()).isEqualTo(QuestionStatus.FAILED);
            assertThat(question.answer()).isNull();
            assertThat(question.question()).isEqualTo("Why?");
        });
        assertThat(store.findAnswered(List.of(id)).get(id).status()).isEqualTo(QuestionStatus.FAILED);
    }

    @Test
    void shouldOpenAFailedQuestionAgainOnlyForItsOwnTextAndCloseItAgainAsItWas() {
        String failed = newId();
        String answered = newId();
        store.recordOutcomes(List.of(AnswerEvent.failed(failed, "Why?", "the LLM failed it", T0),
                AnswerEvent.answered(answered, "How?", "So.", List.of(), OFFLINE, T0)));

        assertThat(store.reopen(Map.of(failed, "Something else?"), "put back")).isEmpty();
        Map<String, String> reopened = store.reopen(Map.of(failed, "Why?", answered, "How?"), "put back");

        assertThat(reopened).containsExactly(Map.entry(failed, "the LLM failed it"));
        assertThat(store.find(failed)).get().extracting(QuestionRecord::status).isEqualTo(QuestionStatus.QUEUED);
        assertThat(store.find(answered)).get().extracting(QuestionRecord::status).isEqualTo(QuestionStatus.ANSWERED);
        store.closeAgain(reopened);
        assertThat(store.find(failed)).get().satisfies(question -> {
            assertThat(question.status()).isEqualTo(QuestionStatus.FAILED);
            assertThat(question.reason()).isEqualTo("the LLM failed it");
        });
    }

    @Test
    void shouldOpenAFailedQuestionWhoseTextWasNeverStored() {
        String id = newId();
        store.recordOutcomes(List.of(AnswerEvent.failed(id, null, "malformed before it was read", T0)));

        assertThat(store.reopen(Map.of(id, "Any text?"), "put back")).containsOnlyKeys(id);
        assertThat(store.find(id)).get().extracting(QuestionRecord::status).isEqualTo(QuestionStatus.QUEUED);
    }

    @Test
    void shouldKeepOneDocumentWhenTheSameOutcomeIsWrittenTwice() {
        String id = newId();
        AnswerEvent answer = AnswerEvent.answered(id, "Why?", "Because.", List.of(), OFFLINE, T0);

        store.recordOutcomes(List.of(answer));
        store.recordOutcomes(List.of(answer));

        assertThat(client.getDatabase("store-it").getCollection(QuestionStore.COLLECTION)
                .countDocuments(new org.bson.Document("_id", id))).isEqualTo(1);
    }

    @Test
    void shouldFindOnlyTheEndedAmongIds() {
        String answered = newId();
        String failed = newId();
        String queued = newId();
        store.recordOutcomes(List.of(
                AnswerEvent.answered(answered, "A?", "A.", List.of(), OFFLINE, T0),
                AnswerEvent.failed(failed, "B?", "rejected", T0)));
        store.recordQueued(new QuestionEvent(queued, "C?", T0), T0);

        assertThat(store.findAnswered(List.of(answered, failed, queued, newId())))
                .containsOnlyKeys(answered, failed)
                .hasEntrySatisfying(answered, event -> assertThat(event.answer()).isEqualTo("A."))
                .hasEntrySatisfying(failed, event -> assertThat(event.reason()).isEqualTo("rejected"));
    }

    @Test
    void shouldFindNothingForAnUnknownId() {
        assertThat(store.find(newId())).isEmpty();
    }

    @Test
    void shouldLetExactlyOneOfManyConcurrentClaimsOfAnIdWin() {
        String id = newId();
        List<java.util.concurrent.CompletableFuture<QuestionStore.Claim>> claims = java.util.stream.IntStream.range(0, 8)
                .mapToObj(i -> java.util.concurrent.CompletableFuture.supplyAsync(() -> store.claim(
                        new QuestionEvent(id, "Whose?", T0), "owner-" + i, T0)))
                .toList();

        List<QuestionStore.Claim> done = claims.stream().map(java.util.concurrent.CompletableFuture::join).toList();

        assertThat(done).filteredOn(QuestionStore.Claim::won).hasSize(1);
        String winner = store.find(id).orElseThrow().owner();
        assertThat(done).filteredOn(claim -> !claim.won()).allSatisfy(claim -> {
            assertThat(claim.holder().owner()).isEqualTo(winner);
            assertThat(claim.publication()).isEqualTo(QuestionStore.Publication.PUBLISHING);
        });
    }

    @Test
    void shouldFreeAReleasedClaimAndSettleAnAcknowledgedOne() {
        QuestionEvent question = new QuestionEvent(newId(), "Released?", T0);
        QuestionStore.Claim first = store.claim(question, "a", T0);

        store.releaseClaim(question.id(), first.token());
        QuestionStore.Claim again = store.claim(question, "b", T0);
        store.recordQueued(question, T0, "b");

        assertThat(again.won()).isTrue();
        QuestionStore.Claim late = store.claim(question, "c", T0);
        assertThat(late.won()).isFalse();
        assertThat(late.publication()).isEqualTo(QuestionStore.Publication.CONFIRMED);
        assertThat(late.holder().owner()).isEqualTo("b");
        assertThat(late.holder().status()).isEqualTo(QuestionStatus.QUEUED);
    }

    @Test
    void shouldKeepAnUnconfirmedClaimAndLetOnlyOneRetryTakeItOver() {
        QuestionEvent question = new QuestionEvent(newId(), "Landed?", T0);
        QuestionStore.Claim first = store.claim(question, "a", T0);
        store.markUnconfirmed(question.id(), first.token());
        store.releaseClaim(question.id(), first.token());

        QuestionStore.Claim seen = store.claim(question, "a", T0.plusSeconds(1));
        assertThat(seen.won()).as("an unconfirmed claim is never released").isFalse();
        assertThat(seen.publication()).isEqualTo(QuestionStore.Publication.UNCONFIRMED);

        assertThat(store.retakeClaim(question.id(), seen.token(), T0.plusSeconds(2))).isPresent();
        assertThat(store.retakeClaim(question.id(), seen.token(), T0.plusSeconds(2))).as("taken over once").isEmpty();
    }

    @Test
    void shouldReadAClaimAsConfirmedOnceAWorkerHasAnsweredIt() {
        QuestionEvent question = new QuestionEvent(newId(), "Answered?", T0);
        store.claim(question, "a", T0);
        store.recordOutcomes(List.of(AnswerEvent.answered(question.id(), "Answered?", "Yes.", List.of(), OFFLINE,
                T0.plusSeconds(1))));

        QuestionStore.Claim later = store.claim(question, "a", T0.plusSeconds(2));

        assertThat(later.publication()).isEqualTo(QuestionStore.Publication.CONFIRMED);
        assertThat(later.holder().status()).isEqualTo(QuestionStatus.ANSWERED);
        assertThat(later.holder().owner()).as("the worker's write keeps the owner").isEqualTo("a");
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }
}
