package io.breakwater.core.event;

import java.io.IOException;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The JSON form of every event and API body: ISO-8601 instants, nulls left out, unknown fields ignored. Decoding
 * failures become {@link MalformedEventException}s whose message says what is wrong in words a producer understands.
 * Thread-safe.
 */
public final class EventJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private EventJson() {
    }

    /** The shared mapper, for code that renders JSON other than events (HTTP bodies). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] encode(Object event) {
        try {
            return MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write " + event.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** @throws MalformedEventException if {@code bytes} are not a valid {@code type} */
    public static <T> T decode(byte[] bytes, Class<T> type) {
        return fromTree(tree(bytes), type);
    }

    /**
     * Parses {@code bytes} as one JSON object.
     *
     * @throws MalformedEventException if they are empty, not JSON, or JSON but not an object
     */
    public static JsonNode tree(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new MalformedEventException("the value is empty; expected a JSON object");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new MalformedEventException("the value is not valid JSON: " + firstLine(e), e);
        }
        if (node == null || !node.isObject()) {
            throw new MalformedEventException("the value is JSON but not an object; expected {\"id\": ..., ...}");
        }
        return node;
    }

    /** @throws MalformedEventException if {@code tree} is not a valid {@code type} */
    public static <T> T fromTree(JsonNode tree, Class<T> type) {
        try {
            return MAPPER.treeToValue(tree, type);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new MalformedEventException(cause.getMessage(), e);
        } catch (InvalidFormatException e) {
            throw new MalformedEventException("field '" + fieldPath(e) + "' has the wrong form: " + firstLine(e), e);
        } catch (MismatchedInputException e) {
            throw new MalformedEventException("field '" + fieldPath(e) + "' has the wrong type: " + firstLine(e), e);
        } catch (IOException e) {
            throw new MalformedEventException("cannot read the value: " + firstLine(e), e);
        }
    }

    private static String fieldPath(MismatchedInputException e) {
        StringBuilder path = new StringBuilder();
        e.getPath().forEach(reference -> {
            if (reference.getFieldName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(reference.getFieldName());
            } else {
                path.append('[').append(reference.getIndex()).append(']');
            }
        });
        return path.isEmpty() ? "?" : path.toString();
    }

    private static String firstLine(Exception e) {
        String message = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
