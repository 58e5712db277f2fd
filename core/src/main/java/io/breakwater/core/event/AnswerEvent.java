package io.breakwater.core.event;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * How a question ended: the value on {@code qa.answers}, keyed by the question's id.
 *
 * @param schemaVersion the event schema's version; missing means {@value QuestionEvent#SCHEMA_VERSION}
 * @param id the question's id
 * @param status {@link QuestionStatus#ANSWERED} or {@link QuestionStatus#FAILED}
 * @param question the question's text, when it was readable
 * @param answer the answer, when answered
 * @param sources the pages the answer draws on; empty when none
 * @param answeredBy what answered, when answered
 * @param reason why it failed, when failed
 * @param answeredAt when it ended
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AnswerEvent(int schemaVersion, String id, QuestionStatus status, String question, String answer,
                          List<Source> sources, AnsweredBy answeredBy, String reason, Instant answeredAt) {

    public AnswerEvent {
        schemaVersion = schemaVersion == 0 ? QuestionEvent.SCHEMA_VERSION : schemaVersion;
        QuestionEvent.requireValidId(id);
        Objects.requireNonNull(status, "status");
        sources = sources == null ? List.of() : List.copyOf(sources);
        switch (status) {
            case ANSWERED -> {
                if (answer == null || answeredBy == null) {
                    throw new IllegalArgumentException("an answered event needs 'answer' and 'answeredBy'");
                }
            }
            case FAILED -> {
                if (reason == null || reason.isBlank()) {
                    throw new IllegalArgumentException("a failed event needs a 'reason'");
                }
            }
            default -> throw new IllegalArgumentException("an answer event's status is answered or failed but was "
                    + status.wireName());
        }
    }

    public static AnswerEvent answered(String id, String question, String answer, List<Source> sources,
                                       AnsweredBy answeredBy, Instant at) {
        return new AnswerEvent(QuestionEvent.SCHEMA_VERSION, id, QuestionStatus.ANSWERED, question, answer, sources,
                answeredBy, null, at);
    }

    public static AnswerEvent failed(String id, String question, String reason, Instant at) {
        return new AnswerEvent(QuestionEvent.SCHEMA_VERSION, id, QuestionStatus.FAILED, question, null, List.of(),
                null, reason, at);
    }
}
