package io.breakwater.qa;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.breakwater.core.breaker.DependencyCoolingException;
import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.Source;
import io.breakwater.core.time.OutsideTime;

/**
 * Asks an OpenAI-compatible chat-completions endpoint ({@code POST {url}/chat/completions}): Ollama, vLLM, llama.cpp
 * server, OpenAI. A 408, 429, 5xx, timeout, refused connection or garbled body is a
 * {@link DependencyUnavailableException}; any other 4xx is a {@link DependencyRejectedException}. Thread-safe.
 */
final class OpenAiAnswerer implements Answerer {

    private static final String SYSTEM_PROMPT = "You are Breakwater's question-answering assistant. Answer the"
            + " question concisely and factually. When context passages are given, answer from them and say so when"
            + " they do not contain the answer; do not invent sources.";
    private static final int SNIPPET_CHARS = 300;
    /** The largest response body read: a chat completion is a few kilobytes; more is an endpoint gone wrong. */
    static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
    /** How long a 429 that says nothing of when to come back cools the deployment down. */
    static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(1);

    /** The longest answer kept: longer ones are cut, saying so, so that the answer always fits its topic. */
    static final int MAX_ANSWER_CHARS = 100_000;

    private final URI endpoint;
    private final String model;
    private final Optional<String> apiKey;
    private final Duration requestTimeout;
    private final HttpClient client;
    private final ObjectMapper json = EventJson.mapper();

    /** @param requestTimeout a backstop; the breaker's per-attempt timeout normally ends a slow call first */
    OpenAiAnswerer(LlmSettings settings, Duration requestTimeout) {
        this.endpoint = URI.create(settings.url().orElseThrow() + "/chat/completions");
        this.model = settings.model();
        this.apiKey = settings.apiKey();
        this.requestTimeout = requestTimeout;
        // HTTP/1.1: OpenAI-style servers and proxies often mishandle the HTTP/2 upgrade the JDK client tries first.
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(requestTimeout.compareTo(Duration.ofSeconds(10)) < 0 ? requestTimeout : Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    @Override
    public Answer answer(String question, List<Passage> context) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(EventJson.encode(requestBody(question, context))));
        apiKey.ifPresent(key -> request.header("Authorization", "Bearer " + key));
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), BoundedBody.upTo(MAX_BODY_BYTES));
        } catch (HttpConnectTimeoutException e) {
            throw new DependencyUnavailableException("cannot connect to the LLM at " + endpoint + " (timed out)", e);
        } catch (HttpTimeoutException e) {
            throw new DependencyUnavailableException("the LLM at " + endpoint + " did not answer within "
                    + requestTimeout.toMillis() + " ms", e);
        } catch (IOException e) {
            if (tooLarge(e)) {
                throw new DependencyUnavailableException("the LLM at " + endpoint + " answered with a body larger than "
                        + MAX_BODY_BYTES + " bytes", e);
            }
            throw new DependencyUnavailableException("cannot reach the LLM at " + endpoint + ": " + describe(e), e);
        }
        return answerFrom(response, context);
    }

    /** Whether the body's limit ended the exchange: the client hands the subscriber's error back wrapped. */
    private static boolean tooLarge(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof BoundedBody.TooLarge) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean costly() {
        return true;
    }

    @Override
    public int promptTokens(String question, List<Passage> context) {
        return PromptTokens.estimate(SYSTEM_PROMPT, userPrompt(question, context));
    }

    private Map<String, Object> requestBody(String question, List<Passage> context) {
        return Map.of(
                "model", model,
                "temperature", 0.2,
                "stream", false,
                "messages", List.of(
                        Map.of("role", "system", "content", SYSTEM_PROMPT),
                        Map.of("role", "user", "content", userPrompt(question, context))));
    }

    private static String userPrompt(String question, List<Passage> context) {
        if (context.isEmpty()) {
            return question;
        }
        StringBuilder prompt = new StringBuilder("Context passages:\n");
        for (int i = 0; i < context.size(); i++) {
            Passage passage = context.get(i);
            prompt.append('[').append(i + 1).append("] ").append(passage.title()).append(" (").append(passage.url())
                    .append(")\n").append(passage.text()).append("\n\n");
        }
        return prompt.append("Question: ").append(question).toString();
    }

    private Answer answerFrom(HttpResponse<String> response, List<Passage> context) {
        int status = response.statusCode();
        Optional<Duration> askedToWait = askedToWait(response);
        if (status == 429 || status == 503 && askedToWait.isPresent()) {
            // "Slow down", not "broken": a cooldown until the time asked for, not a failure.
            throw new DependencyCoolingException("the LLM answered HTTP " + status + ": " + errorText(response.body()),
                    askedToWait.orElse(DEFAULT_COOLDOWN));
        }
        if (status == 408 || status >= 500) {
            throw new DependencyUnavailableException("the LLM answered HTTP " + status + ": " + errorText(response.body()),
                    retryAfter(response).orElse(null), null);
        }
        if (status == 401 || status == 403 || status == 404) {
            // The deployment's fault, not the question's: a key revoked or expired, a model or deployment gone. It
            // counts against this deployment's breaker, and a fallback is asked; an operator has something to fix.
            throw new DependencyUnavailableException("the LLM refused the deployment's call with HTTP " + status
                    + " (check BW_LLM_*_API_KEY, the model and the URL): " + errorText(response.body()));
        }
        if (status >= 400) {
            String error = errorText(response.body());
            if ((status == 400 || status == 413) && promptTooLong(response.body())) {
                throw new PromptTooLongException("the LLM rejected the prompt as too long with HTTP " + status + ": "
                        + error);
            }
            throw new DependencyRejectedException("the LLM rejected the request with HTTP " + status + ": " + error);
        }
        if (status < 200 || status >= 300) {
            throw new DependencyUnavailableException("the LLM answered HTTP " + status + ", expected 200");
        }
        String text = contentOf(response.body()).strip();
        if (text.length() > MAX_ANSWER_CHARS) {
            int cut = Character.isHighSurrogate(text.charAt(MAX_ANSWER_CHARS - 1)) ? MAX_ANSWER_CHARS - 1 : MAX_ANSWER_CHARS;
            text = text.substring(0, cut) + " [answer cut at " + MAX_ANSWER_CHARS + " characters]";
        }
        List<Source> sources = new ArrayList<>(new LinkedHashSet<>(
                context.stream().map(passage -> new Source(passage.url(), passage.title())).toList()));
        return new Answer(text, sources, new AnsweredBy(AnsweredBy.LLM, model),
                RemainingQuota.pauseAfter(response.headers(), totalTokens(response.body())));
    }

    /** The tokens the call took ({@code usage.total_tokens}), or 0 if the body does not say. */
    private long totalTokens(String body) {
        try {
            JsonNode tokens = json.readTree(body).path("usage").path("total_tokens");
            return tokens.canConvertToLong() ? Math.max(0, tokens.asLong()) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private String contentOf(String body) {
        JsonNode content;
        try {
            content = json.readTree(body).path("choices").path(0).path("message").path("content");
        } catch (IOException e) {
            throw new DependencyUnavailableException("the LLM answered with a body that is not JSON: " + snippet(body), e);
        }
        if (!content.isTextual() || content.asText().isBlank()) {
            throw new DependencyUnavailableException("the LLM answered without choices[0].message.content: " + snippet(body));
        }
        return content.asText();
    }

    /**
     * Whether an error body says the prompt does not fit the model's context window: OpenAI's
     * {@code context_length_exceeded} code, or words to that effect from vLLM, llama.cpp, Ollama and the like.
     */
    private boolean promptTooLong(String body) {
        String code = "";
        try {
            code = json.readTree(body).path("error").path("code").asText("");
        } catch (IOException | RuntimeException e) {
            // Not JSON: the words decide.
        }
        String words = body.length() > 4096 ? body.substring(0, 4096) : body;
        return code.equals("context_length_exceeded") || TOO_LONG.matcher(words).find();
    }

    private static final Pattern TOO_LONG = Pattern.compile(
            "context (length|window|size)|maximum context|too many tokens|prompt is too long",
            Pattern.CASE_INSENSITIVE);

    /** The error's message when the body is an OpenAI error object, else the start of the body. */
    private String errorText(String body) {
        try {
            JsonNode message = json.readTree(body).path("error").path("message");
            if (message.isTextual()) {
                return snippet(message.asText());
            }
        } catch (IOException | RuntimeException e) {
            // Not JSON: show the raw start of the body.
        }
        return snippet(body);
    }

    /** A {@code Retry-After} in seconds or as an HTTP date. */
    static Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(OutsideTime::retryAfter);
    }

    /**
     * How long a rate-limited endpoint asked callers to wait: {@code retry-after-ms} (Azure's, exact), else
     * {@code Retry-After} (whole seconds, or a date), else the later of OpenAI's {@code x-ratelimit-reset-requests} and {@code x-ratelimit-reset-tokens} ({@code 1s},
     * {@code 6m0s}, {@code 20ms}); each clamped to {@link OutsideTime#MAX_RETRY_AFTER}, unreadable ones ignored.
     */
    static Optional<Duration> askedToWait(HttpResponse<?> response) {
        // Both come together from Azure: the seconds rounded up, the milliseconds exact.
        Optional<Duration> millis = response.headers().firstValue("retry-after-ms").flatMap(OpenAiAnswerer::millis);
        if (millis.isPresent()) {
            return millis;
        }
        Optional<Duration> retryAfter = retryAfter(response);
        if (retryAfter.isPresent()) {
            return retryAfter;
        }
        return Stream.of("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")
                .map(header -> response.headers().firstValue(header).flatMap(OpenAiAnswerer::resetIn))
                .flatMap(Optional::stream).max(Duration::compareTo);
    }

    /** A whole number of milliseconds, clamped to [0, {@link OutsideTime#MAX_RETRY_AFTER}]; absent if none. */
    static Optional<Duration> millis(String value) {
        String text = value.strip();
        if (!text.matches("-?\\d{1,18}")) {
            return text.matches("\\d+") ? Optional.of(OutsideTime.MAX_RETRY_AFTER) : Optional.empty();
        }
        return Optional.of(OutsideTime.clamp(Duration.ofMillis(Long.parseLong(text)), OutsideTime.MAX_RETRY_AFTER));
    }

    /** OpenAI's reset times: hours, minutes, seconds and milliseconds, such as {@code 1m30.5s} or {@code 250ms}. */
    static Optional<Duration> resetIn(String value) {
        Matcher reset = RESET.matcher(value.strip());
        if (value.isBlank() || value.length() > 32 || !reset.matches()) {
            return Optional.empty();
        }
        double seconds = (reset.group(1) == null ? 0 : Long.parseLong(reset.group(1)) * 3600.0)
                + (reset.group(2) == null ? 0 : Long.parseLong(reset.group(2)) * 60.0)
                + (reset.group(3) == null ? 0 : Double.parseDouble(reset.group(3)))
                + (reset.group(4) == null ? 0 : Double.parseDouble(reset.group(4)) / 1000.0);
        Duration wait = Duration.ofMillis((long) Math.ceil(Math.min(seconds, OutsideTime.MAX_RETRY_AFTER.toSeconds())
                * 1000));
        return Optional.of(wait);
    }

    private static final Pattern RESET = Pattern.compile(
            "(?:(\\d{1,4})h)?(?:(\\d{1,4})m(?!s))?(?:(\\d{1,6}(?:\\.\\d{1,6})?)s)?(?:(\\d{1,6}(?:\\.\\d{1,6})?)ms)?");

    private static String snippet(String text) {
        if (text == null || text.isBlank()) {
            return "(empty body)";
        }
        String flat = text.strip().replaceAll("\\s+", " ");
        return flat.length() <= SNIPPET_CHARS ? flat : flat.substring(0, SNIPPET_CHARS) + "...";
    }

    private static String describe(IOException e) {
        if (e instanceof java.net.ConnectException) {
            return "connection refused";
        }
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
    }
}
