package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two requests for one id at the same moment, as issue 12 reproduced it: exactly one is accepted, and the question is
 * on {@code qa.questions} once (what a worker reads, so it is answered once).
 */
class ConcurrentIdsIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final int PAIRS = 100;

    @RegisterExtension
    static final RunningApi api = RunningApi.with(Map.of("api.keys", "k1,k2"));

    @Test
    void shouldAcceptExactlyOneOfTwoConcurrentPostsWithTheSameId() {
        String prefix = "pair-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<CompletableFuture<HttpResponse<String>>> first = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> second = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            String body = "{\"id\": \"" + prefix + i + "\", \"question\": \"Whose is " + i + "?\"}";
            first.add(post(body, "X-API-Key", "k1"));
            second.add(post(body, "X-API-Key", "k2"));
        }

        for (int i = 0; i < PAIRS; i++) {
            List<Integer> statuses = List.of(first.get(i).join().statusCode(), second.get(i).join().statusCode());
            assertThat(statuses).as("id %s%d", prefix, i).containsExactlyInAnyOrder(202, 409);
        }
        assertThat(second.get(0).join().body()).satisfiesAnyOf(
                body -> assertThat(body).contains("is taken"), body -> assertThat(body).contains("\"id\""));
        assertThat(recordsPerId(prefix)).as("each id once on qa.questions").hasSize(PAIRS)
                .allSatisfy((id, count) -> assertThat(count).as(id).isEqualTo(1L));
    }

    @Test
    void shouldPublishOnceForConcurrentPostsWithTheSameIdempotencyKey() {
        String prefix = "idem-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < PAIRS / 2; i++) {
            String body = "{\"question\": \"Once for " + prefix + i + "?\"}";
            responses.add(post(body, "X-API-Key", "k1", "Idempotency-Key", prefix + i));
            responses.add(post(body, "X-API-Key", "k1", "Idempotency-Key", prefix + i));
        }

        List<HttpResponse<String>> done = responses.stream().map(CompletableFuture::join).toList();
        assertThat(done).extracting(HttpResponse::statusCode).allMatch(status -> status == 202 || status == 409);
        List<String> accepted = done.stream().filter(response -> response.statusCode() == 202)
                .map(response -> response.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1")).distinct().toList();
        assertThat(accepted).as("every key accepted at least once").hasSize(PAIRS / 2);
        Map<String, Long> onKafka = api.probe().readAll(api.topics().questions().name(), Duration.ofSeconds(2)).stream()
                .map(record -> new String(record.key(), StandardCharsets.UTF_8)).filter(accepted::contains)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(onKafka).hasSize(PAIRS / 2).allSatisfy((id, count) -> assertThat(count).as(id).isEqualTo(1L));
    }

    private static Map<String, Long> recordsPerId(String prefix) {
        return api.probe().readAll(api.topics().questions().name(), Duration.ofSeconds(2)).stream()
                .map(record -> new String(record.key(), StandardCharsets.UTF_8)).filter(id -> id.startsWith(prefix))
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    private static CompletableFuture<HttpResponse<String>> post(String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base() + QuestionRoutes.PATH))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
