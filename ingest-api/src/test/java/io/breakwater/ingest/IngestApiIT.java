package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.event.Source;

class IngestApiIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @RegisterExtension
    static final RunningApi api = RunningApi.withDefaults();

    @Test
    void shouldAcceptAQuestionOntoKafkaAndShowItQueued() throws Exception {
        HttpResponse<String> posted = post("/api/v1/questions", "{\"question\": \"What is a breakwater?\"}");

        assertThat(posted.statusCode()).isEqualTo(202);
        JsonNode body = json(posted);
        String id = body.get("id").asText();
        assertThat(body.get("status").asText()).isEqualTo("queued");
        assertThat(posted.headers().firstValue("Location")).contains("/api/v1/questions/" + id);

        List<ConsumerRecord<byte[], byte[]>> events = api.probe().readUntil(api.topics().questions().name(),
                read -> read.stream().anyMatch(record -> new String(record.key()).equals(id)), Duration.ofSeconds(10));
        QuestionEvent event = events.stream().filter(record -> new String(record.key()).equals(id))
                .map(record -> EventJson.decode(record.value(), QuestionEvent.class)).findFirst().orElseThrow();
        assertThat(event.question()).isEqualTo("What is a breakwater?");
        assertThat(event.submittedAt()).isNotNull();

        HttpResponse<String> got = get(posted.headers().firstValue("Location").orElseThrow());
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(json(got).get("status").asText()).isEqualTo("queued");
        assertThat(json(got).get("question").asText()).isEqualTo("What is a breakwater?");
    }

    @Test
    void shouldShowTheAnswerAndItsSourcesOnceStored() throws Exception {
        String id = json(post("/api/v1/questions", "{\"question\": \"Why?\"}")).get("id").asText();
        api.store().recordOutcomes(List.of(AnswerEvent.answered(id, "Why?", "Because.",
                List.of(new Source("https://example.org/why", "Why")), new AnsweredBy(AnsweredBy.LLM, "m"), Instant.now())));

        JsonNode body = json(get("/api/v1/questions/" + id));

        assertThat(body.get("status").asText()).isEqualTo("answered");
        assertThat(body.get("answer").asText()).isEqualTo("Because.");
        assertThat(body.get("sources").get(0).get("url").asText()).isEqualTo("https://example.org/why");
        assertThat(body.get("answeredBy").get("kind").asText()).isEqualTo("llm");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "an empty body            | ''                                | The request body is empty. Send a JSON object such as",
            "a body that is not JSON  | question=why                      | The request body is not valid JSON",
            "a JSON array             | [\"why\"]                         | The request body is JSON but not an object",
            "no question field        | {\"q\": \"why\"}                  | Field 'question' is required.",
            "a numeric question       | {\"question\": 42}                | Field 'question' must be a string, but was number.",
            "an empty question        | {\"question\": \"\"}              | Field 'question' must not be empty or only whitespace.",
            "a whitespace question    | {\"question\": \"  \\t \"}        | Field 'question' must not be empty or only whitespace.",
    })
    void shouldRejectABadQuestionWith400AndSayWhy(String what, String body, String message) throws Exception {
        HttpResponse<String> response = post("/api/v1/questions", body);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("error").asText()).startsWith(message);
        assertThat(json(response).get("status").asInt()).isEqualTo(400);
    }

    @Test
    void shouldAcceptOneCrawlJobPerPageOntoKafkaKeyedByItsNormalizedUrl() throws Exception {
        HttpResponse<String> posted = post("/api/v1/crawl", "{\"urls\": [\"HTTPS://Docs.Example.com:443/harbour#top\","
                + " \"https://docs.example.com/harbour\", \"http://docs.example.com/tides\"], \"depth\": 1}");

        assertThat(posted.statusCode()).isEqualTo(202);
        JsonNode jobs = json(posted).get("jobs");
        assertThat(jobs).as("the same page once").hasSize(2);
        assertThat(jobs.get(0).get("url").asText()).isEqualTo("https://docs.example.com/harbour");
        assertThat(jobs.get(0).get("status").asText()).isEqualTo("queued");
        String id = jobs.get(0).get("id").asText();
        assertThat(jobs.get(0).get("location").asText()).isEqualTo("/api/v1/crawl/" + id);

        List<ConsumerRecord<byte[], byte[]>> events = api.probe().readAtLeast(api.topics().crawlJobs().name(), 2, Duration.ofSeconds(10));
        assertThat(events).extracting(record -> new String(record.key()))
                .contains("https://docs.example.com/harbour", "http://docs.example.com/tides");
        assertThat(EventJson.decode(events.get(0).value(), CrawlJob.class).depth()).isEqualTo(1);

        JsonNode got = json(get("/api/v1/crawl/" + id));
        assertThat(got.get("status").asText()).isEqualTo("queued");
        assertThat(got.get("url").asText()).isEqualTo("https://docs.example.com/harbour");
        assertThat(get("/api/v1/crawl/0000000000000000").statusCode()).isEqualTo(404);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "an empty body         | ''                                          | The request body is empty.",
            "no urls               | {\"depth\": 0}                             | Field 'urls' must be a non-empty list of URLs",
            "an empty list         | {\"urls\": []}                             | Field 'urls' must be a non-empty list of URLs",
            "a number for a URL    | {\"urls\": [42]}                           | urls[0] must be a string, but was number.",
            "an ftp URL            | {\"urls\": [\"ftp://example.com/f\"]}     | urls[0]: 'ftp://example.com/f' is not an http or https URL.",
            "a relative URL        | {\"urls\": [\"/page\"]}                   | urls[0]: '/page' is not an http or https URL.",
            "too deep              | {\"urls\": [\"https://example.com/\"], \"depth\": 9} | Field 'depth' must be 0 to 3, but was 9.",
    })
    void shouldRejectABadCrawlRequestWith400AndSayWhy(String what, String body, String message) throws Exception {
        HttpResponse<String> response = post("/api/v1/crawl", body);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("error").asText()).startsWith(message);
    }

    @Test
    void shouldExposePrometheusMetricsWithItsKafkaBreakerAndTheJvm() throws Exception {
        HttpResponse<String> metrics = get("/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        assertThat(metrics.body()).containsPattern("breakwater_breaker_state\\{breaker=\"kafka\",instance=\"[^\"]+\"} 0.0")
                .contains("breakwater_breaker_calls_total{breaker=\"kafka\"")
                .contains("jvm_threads_current");
    }

    @Test
    void shouldRejectAnOverlongQuestionSayingTheLimit() throws Exception {
        HttpResponse<String> response = post("/api/v1/questions", "{\"question\": \"" + "x".repeat(4001) + "\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("error").asText())
                .isEqualTo("Field 'question' is 4,001 characters long; the limit is 4,000.");
    }

    @Test
    void shouldAnswer404ForAnUnknownId() throws Exception {
        HttpResponse<String> response = get("/api/v1/questions/no-such-question");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(json(response).get("error").asText())
                .isEqualTo("No question with id 'no-such-question'. Use the id that POST /api/v1/questions returned.");
    }

    @Test
    void shouldAnswerUnknownPathsAndMethodsInJson() throws Exception {
        HttpResponse<String> unknown = get("/api/v1/nothing-here");
        HttpResponse<String> wrongMethod = HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/questions"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("error").asText()).isNotBlank();
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(json(wrongMethod).get("error").asText()).isNotBlank();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return EventJson.mapper().readTree(response.body());
    }
}
