package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.embedded.EmbeddedKafkaBroker;
import io.breakwater.embedded.EmbeddedMongo;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever comes in, the API answers in time with JSON and a 2xx or 4xx: never a 500, a page of HTML or a hang.
 * Random bodies (bytes, text, JSON, huge strings, deep nesting), random header values and random ids, against one
 * real API on its own broker and MongoDB. Each request is bounded by a client timeout.
 */
class ApiEdgesPropertiesIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String[] POSTS = {"/api/v1/questions", "/api/v1/qa/ask", "/api/v1/crawl"};

    private static Path dir;
    private static EmbeddedKafkaBroker broker;
    private static EmbeddedMongo mongo;
    private static IngestApi api;
    private static String base;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("bw-properties");
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
        mongo = EmbeddedMongo.inMemory();
        api = IngestApi.start(Settings.of(Map.of("kafka.bootstrap", broker.bootstrapServers(),
                "mongo.uri", mongo.connectionString(), "api.host", "127.0.0.1", "api.port", "0",
                "api.ask.wait.seconds", "1", "api.max.body.bytes", "16384")));
        base = "http://127.0.0.1:" + api.port();
    }

    @AfterContainer
    static void stop() {
        api.close();
        mongo.close();
        broker.close();
    }

    @Property(tries = 200)
    void shouldAnswerAnyBodyWithJsonAndA2xxOr4xx(@ForAll("paths") String path, @ForAll("bodies") byte[] body,
                                                @ForAll("contentTypes") String contentType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (!contentType.isEmpty()) {
            request.header("Content-Type", contentType);
        }
        assertJsonAndNotAServerError(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()));
    }

    @Property(tries = 200)
    void shouldAnswerAnyHeaderValueWithJsonAndA2xxOr4xx(@ForAll("headerNames") String name,
                                                       @ForAll("headerValues") String value) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/v1/questions")).timeout(TIMEOUT)
                .header("Content-Type", "application/json").header(name, value)
                .POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"Headers?\"}")).build();
        assertJsonAndNotAServerError(HTTP.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    @Property(tries = 200)
    void shouldAnswerAnyIdInAPathWithJsonAndA2xxOr4xx(@ForAll("ids") String id, @ForAll("waits") String wait,
                                                     @ForAll boolean crawl) throws Exception {
        String path = (crawl ? "/api/v1/crawl/" : "/api/v1/questions/") + URLEncoder.encode(id, StandardCharsets.UTF_8)
                .replace("+", "%20") + (wait.isEmpty() ? "" : "?wait=" + URLEncoder.encode(wait, StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build();
        assertJsonAndNotAServerError(HTTP.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private static void assertJsonAndNotAServerError(HttpResponse<String> response) throws Exception {
        String said = response.request().method() + " " + response.request().uri() + " -> " + response.statusCode()
                + " " + response.body();
        assertThat(response.statusCode()).as(said).isBetween(200, 499);
        JsonNode json;
        try {
            json = EventJson.mapper().readTree(response.body());
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + said, e);
        }
        assertThat(json).as(said).isNotNull();
        if (response.statusCode() >= 400) {
            assertThat(json.path("error").isTextual()).as(response.body()).isTrue();
            assertThat(json.path("status").asInt()).isEqualTo(response.statusCode());
        }
    }

    @Provide
    Arbitrary<String> paths() {
        return Arbitraries.of(POSTS);
    }

    @Provide
    Arbitrary<String> contentTypes() {
        return Arbitraries.oneOf(Arbitraries.of("application/json", "application/json; charset=utf-8", "",
                "text/plain", "application/x-www-form-urlencoded", "application/json; charset=\"UTF-8\"; x=y",
                "application/json;", ";;;", "application/json; charset"),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(80));
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(300);
        Arbitrary<String> field = Arbitraries.oneOf(text.map(EventJsonText::quote), Arbitraries.integers().map(String::valueOf),
                Arbitraries.of("null", "true", "[]", "{}", "1e999", "-0", "\"\""),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20_000).map(EventJsonText::quote));
        Arbitrary<String> object = Combinators.combine(Arbitraries.of("id", "question", "urls", "depth", "x"), field,
                Arbitraries.of("id", "question", "urls", "depth"), field)
                .as((k1, v1, k2, v2) -> "{\"" + k1 + "\": " + v1 + ", \"" + k2 + "\": " + v2 + "}");
        Arbitrary<String> nested = Arbitraries.integers().between(1, 5_000)
                .map(depth -> "{\"question\": " + "[".repeat(depth) + "]".repeat(depth) + "}");
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(2_000),
                text.map(s -> s.getBytes(StandardCharsets.UTF_8)),
                object.map(s -> s.getBytes(StandardCharsets.UTF_8)),
                nested.map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.integers().between(10_000, 40_000).map(n -> ("{\"question\": \"" + "\u00e9\u6c34".repeat(n / 2)
                        + "\"}").getBytes(StandardCharsets.UTF_8)));
    }

    @Provide
    Arbitrary<String> headerNames() {
        return Arbitraries.of("Idempotency-Key", "X-Forwarded-For", "Authorization", "X-API-Key", "Accept",
                "Accept-Charset", "Content-Encoding", "Transfer-Encoding-X", "Origin", "traceparent");
    }

    @Provide
    Arbitrary<String> headerValues() {
        return Arbitraries.oneOf(Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(300),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(190).ofMaxLength(4_000),
                Arbitraries.of("", " ", "Bearer ", "Bearer \u0000".replace('\u0000', 'x'), "gzip", "00-zz-zz-01"));
    }

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.oneOf(Arbitraries.strings().all().ofMinLength(1).ofMaxLength(200),
                Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(200),
                Arbitraries.strings().alpha().numeric().withChars("-_.:").ofMinLength(1).ofMaxLength(140));
    }

    @Provide
    Arbitrary<String> waits() {
        return Arbitraries.oneOf(Arbitraries.of("", "", "", "0", "10ms", "1e9s", "-1s", "NaN", "99999999999999999999s"),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(20));
    }

    /** JSON string literals, escaped as JSON requires. */
    private static final class EventJsonText {
        static String quote(String text) {
            try {
                return EventJson.mapper().writeValueAsString(text);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
