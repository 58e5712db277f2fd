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

    /** @throws ApiException 400 with a message that says what is wrong and what to send instead */
    static String question(byte[] body) {
        JsonNode json;
        try {
            json = EventJson.tree(body);
        } catch (MalformedEventException e) {
            String problem = body == null || body.length == 0 ? "The request body is empty"
                    : e.getMessage().startsWith("the value is JSON") ? "The request body is JSON but not an object"
                    : "The request body is not valid JSON (" + e.getMessage().replaceFirst("^the value is not valid JSON: ", "") + ")";
            throw ApiException.badRequest(problem + ". Send a JSON object such as " + EXAMPLE + ".");
        }
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
