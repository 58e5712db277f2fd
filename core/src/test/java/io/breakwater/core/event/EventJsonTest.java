package io.breakwater.core.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class EventJsonTest {

    @Test
    void shouldRoundTripAQuestion() {
        QuestionEvent question = new QuestionEvent("q-1", "What is a circuit breaker?", Instant.parse("2026-11-26T10:00:00Z"));

        QuestionEvent read = EventJson.decode(EventJson.encode(question), QuestionEvent.class);

        assertThat(read).isEqualTo(question);
        assertThat(json(question)).isEqualTo("{\"schemaVersion\":1,\"id\":\"q-1\",\"question\":\"What is a circuit breaker?\","
                + "\"submittedAt\":\"2026-11-26T10:00:00Z\"}");
    }

    @Test
    void shouldRoundTripAnAnswerWithSources() {
        AnswerEvent answer = AnswerEvent.answered("q-1", "Why?", "Because.",
                List.of(new Source("https://example.org/a", "A")), new AnsweredBy(AnsweredBy.OFFLINE, "extractive"),
                Instant.parse("2026-11-26T10:00:01Z"));

        AnswerEvent read = EventJson.decode(EventJson.encode(answer), AnswerEvent.class);

        assertThat(read).isEqualTo(answer);
        assertThat(json(answer)).contains("\"status\":\"answered\"").doesNotContain("reason");
    }

    @Test
    void shouldRoundTripAFailure() {
        AnswerEvent failed = AnswerEvent.failed("q-2", null, "the LLM rejected the request", Instant.EPOCH);

        assertThat(EventJson.decode(EventJson.encode(failed), AnswerEvent.class)).isEqualTo(failed);
    }

    @Test
    void shouldAcceptTheMinimumAProducerSendsAndIgnoreUnknownFields() {
        QuestionEvent read = EventJson.decode(bytes("{\"id\":\"ext-7\",\"question\":\"Hi?\",\"priority\":\"high\"}"),
                QuestionEvent.class);

        assertThat(read.id()).isEqualTo("ext-7");
        assertThat(read.question()).isEqualTo("Hi?");
        assertThat(read.schemaVersion()).isEqualTo(QuestionEvent.SCHEMA_VERSION);
        assertThat(read.submittedAt()).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not JSON           | hello                                  | the value is not valid JSON",
            "a JSON array       | [1,2]                                  | the value is JSON but not an object",
            "no id              | {\"question\":\"Hi?\"}                 | field 'id' is required",
            "a bad id           | {\"id\":\"a/b\",\"question\":\"Hi?\"}  | field 'id' must be 1 to 128 letters",
            "no question        | {\"id\":\"q\"}                         | field 'question' is required",
            "a blank question   | {\"id\":\"q\",\"question\":\"  \"}     | field 'question' must not be empty or only whitespace",
            "a numeric question | {\"id\":\"q\",\"question\":{\"a\":1}}  | field 'question' has the wrong type",
            "a bad timestamp    | {\"id\":\"q\",\"question\":\"Hi?\",\"submittedAt\":\"yesterday\"} | field 'submittedAt'",
    })
    void shouldRejectWithAMessageThatSaysWhatIsWrong(String what, String json, String message) {
        assertThatThrownBy(() -> EventJson.decode(bytes(json), QuestionEvent.class))
                .isInstanceOf(MalformedEventException.class)
                .hasMessageContaining(message);
    }

    @Test
    void shouldRejectAnEmptyValue() {
        assertThatThrownBy(() -> EventJson.decode(new byte[0], QuestionEvent.class))
                .isInstanceOf(MalformedEventException.class)
                .hasMessage("the value is empty; expected a JSON object");
    }

    @Test
    void shouldRejectAnOverlongQuestionSayingHowLong() {
        String question = "x".repeat(QuestionEvent.MAX_QUESTION_CHARS + 1);

        assertThatThrownBy(() -> new QuestionEvent("q", question, null))
                .hasMessage("field 'question' is 4,001 characters long; the limit is 4,000");
    }

    @Test
    void shouldRejectAnAnsweredEventWithoutAnAnswer() {
        assertThatThrownBy(() -> EventJson.decode(bytes("{\"id\":\"q\",\"status\":\"answered\"}"), AnswerEvent.class))
                .isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("needs 'answer'");
    }

    @Test
    void shouldRejectAnUnknownStatus() {
        assertThatThrownBy(() -> EventJson.decode(bytes("{\"id\":\"q\",\"status\":\"lost\",\"reason\":\"x\"}"),
                AnswerEvent.class))
                .isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("status");
    }

    private static String json(Object event) {
        return new String(EventJson.encode(event), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }
}
