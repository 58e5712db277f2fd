package io.breakwater.ingest;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.MalformedEventException;
import io.breakwater.core.event.QuestionEvent;

/** Reads the body of {@code POST /api/v1/questions}, saying exactly what is wrong with a bad one. */
final class SubmitRequest {

    static final String EXAMPLE = "{\"question\": \"What is a circuit breaker?\"}";

    private SubmitRequest() {
    }

    /**
     * A question, with the id its client chose, if it chose one.
     *
     * @param id a client-chosen id: a retried POST with it returns the same question
     */
    record Submit(String question, java.util.Optional<String> id) {
    }

    /** @throws ApiException 400 with a message that says what is wrong and what to send instead */
    static Submit parse(byte[] body) {
        JsonNode json = object(body);
        JsonNode id = json.get("id");
        if (id != null && !id.isNull()) {
            if (!id.isTextual()) {
                throw ApiException.badRequest("Field 'id' must be a string, or left out for the server to choose.");
            }
            try {
                QuestionEvent.requireValidId(id.asText());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("F" + e.getMessage().substring(1) + ".");
            }
        }
        return new Submit(question(json), id == null || id.isNull() ? java.util.Optional.empty()
                : java.util.Optional.of(id.asText()));
    }

    private static JsonNode object(byte[] body) {
        JsonNode json;
        try {
            json = EventJson.tree(body);
        } catch (MalformedEventException e) {
            String problem = body == null || body.length == 0 ? "The request body is empty"
                    : e.getMessage().startsWith("the value is JSON") ? "The request body is JSON but not an object"
                    : "The request body is not valid JSON (" + e.getMessage().replaceFirst("^the value is not valid JSON: ", "") + ")";
            throw ApiException.badRequest(problem + ". Send a JSON object such as " + EXAMPLE + ".");
        }
        return json;
    }

    private static String question(JsonNode json) {
        JsonNode question = json.get("question");
        if (question == null || question.isNull()) {
            throw ApiException.badRequest("Field 'question' is required. Send a JSON object such as " + EXAMPLE + ".");
        }
        if (!question.isTextual()) {
            throw ApiException.badRequest("Field 'question' must be a string, but was " + question.getNodeType()
                    .name().toLowerCase(java.util.Locale.ROOT) + ".");
        }
        try {
            QuestionEvent.requireValidQuestion(question.asText());
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            throw ApiException.badRequest(Character.toUpperCase(message.charAt(0)) + message.substring(1) + ".");
        }
        return question.asText();
    }
}
