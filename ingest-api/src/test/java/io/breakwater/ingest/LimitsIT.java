package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.breakwater.core.event.EventJson;

/**
 * What the API holds for the outside world, and what it does beyond: a frozen MongoDB, too many websockets, many
 * clients behind one proxy. MongoDB is reached through a proxy the test can freeze; 127.0.0.1 is a trusted proxy.
 */
class LimitsIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    static final RunningApi api = RunningApi.with(Map.ofEntries(
            Map.entry("api.store.threads", "2"),
            Map.entry("api.store.queue", "20"),
            Map.entry("api.store.timeout.seconds", "1"),
            Map.entry("api.ws.max", "3"),
            Map.entry("api.ws.max.per.address", "2"),
            Map.entry("api.trusted.proxies", "127.0.0.1, ::1"),
            Map.entry("rate.limit.per.second", "0.1"),
            Map.entry("rate.limit.burst", "1"))).mongoBehindProxy();

    @Test
    void shouldKeepAnsweringLiveAndFailGetsFastWhileMongoDbIsFrozen() throws Exception {
        api.mongoProxy().freeze();
        try {
            // More than Jetty has threads (250): before, each GET held one until MongoDB's 15 s read timeout.
            List<CompletableFuture<HttpResponse<String>>> gets = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                gets.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/questions/frozen-" + i))
                        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()));
            }

            long start = System.nanoTime();
            HttpResponse<String> live = HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + "/health/live"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));

            for (CompletableFuture<HttpResponse<String>> get : gets) {
                HttpResponse<String> response = get.join();
                assertThat(response.statusCode()).isEqualTo(503);
                assertThat(response.headers().firstValue("Retry-After")).isPresent();
                assertThat(EventJson.mapper().readTree(response.body()).get("error").asText())
                        .startsWith("The question store is busy or not answering");
            }

            // Kafka has it: the record of it as queued may wait, the caller does not (long).
            HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/questions"))
                    .timeout(Duration.ofSeconds(8)).header("Content-Type", "application/json")
                    .header("X-Forwarded-For", "192.0.2.77")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"While MongoDB sleeps?\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        } finally {
            api.mongoProxy().thaw();
        }
    }

    @Test
    void shouldCloseWebsocketsBeyondThePerAddressAndGlobalLimitsWithAReason() {
        List<Socket> open = new ArrayList<>();
        try {
            open.add(Socket.connect("198.51.100.1"));
            open.add(Socket.connect("198.51.100.1"));
            Socket third = Socket.connect("198.51.100.1");
            assertThat(third.closed).succeedsWithin(Duration.ofSeconds(5))
                    .isEqualTo("1008 At most 2 websockets per client address.");

            open.add(Socket.connect("198.51.100.2"));
            Socket fourth = Socket.connect("198.51.100.3");
            assertThat(fourth.closed).succeedsWithin(Duration.ofSeconds(5))
                    .isEqualTo("1013 Too many websockets open (at most 3); retry later.");
            assertThat(open).allSatisfy(socket -> assertThat(socket.closed).isNotDone());

            open.remove(0).close();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                Socket again = Socket.connect("198.51.100.3");
                open.add(again);
                assertThat(again.closed).as("a closed socket frees its place").isNotDone();
            });
        } finally {
            open.forEach(Socket::close);
        }
    }

    @Test
    void shouldGiveEachClientBehindATrustedProxyItsOwnRateLimit() throws Exception {
        String first = "203.0.113." + (10 + (int) (Math.random() * 100));
        HttpResponse<String> one = crawl(first);
        HttpResponse<String> other = crawl("spoofed-by-client, 203.0.113.250");
        HttpResponse<String> again = crawl("198.51.100.99, " + first);

        assertThat(one.statusCode()).isNotEqualTo(429);
        assertThat(other.statusCode()).as("another client: its own bucket").isNotEqualTo(429);
        assertThat(again.statusCode()).as("the right-most untrusted address is the client").isEqualTo(429);
        assertThat(crawl("1.2.3.4, not-an-address").statusCode()).isEqualTo(400);
        assertThat(crawl("10.0.0.1,".repeat(25) + "10.0.0.1").statusCode()).isEqualTo(400);
    }

    private static HttpResponse<String> crawl(String forwardedFor) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/crawl")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").header("X-Forwarded-For", forwardedFor)
                .POST(HttpRequest.BodyPublishers.ofString("{\"urls\": []}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A websocket client that records how the server closed it: "code reason". */
    private static final class Socket implements WebSocket.Listener {

        final CompletableFuture<String> closed = new CompletableFuture<>();
        private WebSocket socket;

        static Socket connect(String forwardedFor) {
            Socket client = new Socket();
            client.socket = HTTP.newWebSocketBuilder().header("X-Forwarded-For", forwardedFor)
                    .buildAsync(URI.create("ws://127.0.0.1:" + api.port() + AnswerSocket.PATH), client)
                    .orTimeout(5, TimeUnit.SECONDS).join();
            return client;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete("error " + error);
        }

        void close() {
            if (!socket.isOutputClosed()) {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(5, TimeUnit.SECONDS)
                        .exceptionally(e -> null).join();
            }
        }
    }
}
