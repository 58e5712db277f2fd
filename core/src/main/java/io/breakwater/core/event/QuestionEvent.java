package io.breakwater.core.event;

import java.time.Instant;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A question to answer: the value on {@code qa.questions}, keyed by its id. Producers must give {@code id} and
 * {@code question}; every other field is optional and unknown fields are ignored.
 *
 * @param schemaVersion the event schema's version; missing means {@value #SCHEMA_VERSION}
 * @param id 1 to 128 characters of letters, digits and {@code . _ : -}, starting with a letter or digit
 * @param question the text, 1 to {@value #MAX_QUESTION_CHARS} characters, not only whitespace
 * @param submittedAt when it was accepted, if the producer says
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record QuestionEvent(int schemaVersion, String id, String question, Instant submittedAt) {

    public static final int SCHEMA_VERSION = 1;
    public static final int MAX_QUESTION_CHARS = 4000;
    public static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    public QuestionEvent {
        schemaVersion = schemaVersion == 0 ? SCHEMA_VERSION : schemaVersion;
        requireValidId(id);
        requireValidQuestion(question);
    }

    public QuestionEvent(String id, String question, Instant submittedAt) {
        this(SCHEMA_VERSION, id, question, submittedAt);
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code id} */
    public static void requireValidId(String id) {
        if (id == null) {
            throw new IllegalArgumentException("field 'id' is required");
        }
        if (!ID_PATTERN.matcher(id).matches()) {
            throw new IllegalArgumentException("field 'id' must be 1 to 128 letters, digits or . _ : - (starting with"
                    + " a letter or digit) but was '" + abbreviate(id) + "'");
        }
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code question} */
    public static void requireValidQuestion(String question) {
        if (question == null) {
            throw new IllegalArgumentException("field 'question' is required");
        }
        if (question.isBlank()) {
            throw new IllegalArgumentException("field 'question' must not be empty or only whitespace");
        }
        if (question.length() > MAX_QUESTION_CHARS) {
            throw new IllegalArgumentException(String.format(
                    "field 'question' is %,d characters long; the limit is %,d", question.length(), MAX_QUESTION_CHARS));
        }
    }

    private static String abbreviate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }
}
