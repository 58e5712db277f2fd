package io.breakwater.core.store;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;

import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.event.Source;

/**
 * What is known of one question: the body of {@code GET /api/v1/questions/{id}}.
 *
 * @param question the text, once known (a question published straight to Kafka is known once a worker reads it)
 * @param reason why it failed, or why it is parked
 * @param parkCount while parked: how many attempts have failed so far
 * @param nextAttemptAt while parked: not tried again before then
 * @param owner who asked it through the API (a fingerprint of the API key), if anyone did; never shown
 */
public record QuestionRecord(String id, QuestionStatus status, String question, String answer, List<Source> sources,
                             AnsweredBy answeredBy, String reason, Integer parkCount, Instant nextAttemptAt,
                             Instant submittedAt, Instant answeredAt, Instant updatedAt,
                             @JsonIgnore String owner) {

    public QuestionRecord {
        sources = sources == null ? List.of() : List.copyOf(sources);
    }
}
