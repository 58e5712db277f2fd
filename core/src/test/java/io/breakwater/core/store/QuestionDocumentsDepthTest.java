package io.breakwater.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * answeredBy.depth is informational, yet QuestionDocuments.toRecord reads it with
 * Document#getInteger (a ClassCastException for a depth stored as int64 or double: mongosh NumberLong, the legacy
 * shell, a migration script) and AnsweredBy's constructor throws on a negative one. Either way the whole stored answer
 * becomes unreadable: GET /questions/{id} fails, and QuestionStore#findAnswered (the QA worker's check before
 * answering a redelivered question) throws for the whole batch of ids it was asked about.
 */
class QuestionDocumentsDepthTest {

    @Test
    void shouldReadAnAnswerWhoseDepthIsStoredAsALong() {
        Document stored = answered(new Document("kind", "llm").append("model", "m").append("depth", 1L));

        assertThatCode(() -> QuestionDocuments.toRecord(stored)).doesNotThrowAnyException();
    }

    @Test
    void shouldStillReadTheAnswerWhenItsDepthIsNegative() {
        Document stored = answered(new Document("kind", "llm").append("model", "m").append("depth", -1));

        assertThatCode(() -> QuestionDocuments.toRecord(stored)).doesNotThrowAnyException();
    }

    private static Document answered(Document by) {
        return new Document("_id", "q-1").append("status", "answered").append("question", "Why?")
                .append("answer", "Because.").append("answeredBy", by);
    }
}
