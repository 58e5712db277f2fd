package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionEvent;

/** Answers pushed over a websocket; the test plays the worker, storing and publishing outcomes itself. */
class AnswerSocketIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final RunningApi api = RunningApi.withDefaults();

    @Test
    void shouldPushAnswersThatExistAlreadyAtOnceAndTheOthersTheMomentTheyArrive() throws Exception {
        String before = queued("ws-before-" + UUID.randomUUID());
        answer(before);
        String after = queued("ws-after-" + UUID.randomUUID());
        Client client = Client.connect("?ids=" + before + "," + after);

        assertThat(client.next().get("id").asText()).as("answered before the socket connected").isEqualTo(before);
        answer(after);
        JsonNode pushed = client.next();
        assertThat(pushed.get("id").asText()).isEqualTo(after);
        assertThat(pushed.get("status").asText()).isEqualTo("answered");
        assertThat(pushed.get("answer").asText()).isEqualTo("An answer to " + after);
        client.close();
    }

    @Test
    void shouldTakeSubscriptionsSentOverTheSocketAndSayWhatIsWrongWithABadOne() throws Exception {
        Client client = Client.connect("");
        String id = queued("ws-later-" + UUID.randomUUID());

        client.socket.sendText("{\"subscribe\": [\"" + id + "\"]}", true).join();
        client.socket.sendText("subscribe me", true).join();
        assertThat(client.next().get("error").asText()).startsWith("Cannot read that message");
        answer(id);

        assertThat(client.next().get("id").asText()).isEqualTo(id);
        client.close();
    }

    @Test
    void shouldKeepServingOthersWhenAClientVanishesMidStream() throws Exception {
        String id = queued("ws-vanish-" + UUID.randomUUID());
        Client vanishing = Client.connect("?ids=" + id);
        Client staying = Client.connect("?ids=" + id);
        vanishing.socket.abort();

        answer(id);

        assertThat(staying.next().get("id").asText()).isEqualTo(id);
        Client late = Client.connect("?ids=" + id);
        assertThat(late.next().get("id").asText()).as("and to whoever connects after").isEqualTo(id);
        staying.close();
        late.close();
    }

    private static String queued(String id) {
        api.store().recordQueued(new QuestionEvent(id, "Question " + id, Instant.now()), Instant.now());
        return id;
    }

    private static void answer(String id) {
        AnswerEvent answer = AnswerEvent.answered(id, "Question " + id, "An answer to " + id, List.of(),
                new AnsweredBy(AnsweredBy.OFFLINE, "test"), Instant.now());
        api.store().recordOutcomes(List.of(answer));
        api.probe().publish(api.topics().answers().name(), id.getBytes(StandardCharsets.UTF_8), EventJson.encode(answer));
    }

    /** A websocket client that keeps what it receives. */
    private static final class Client implements WebSocket.Listener {

        private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;

        static Client connect(String query) {
            Client client = new Client();
            client.socket = HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + api.port()
                    + AnswerSocket.PATH + query), client).join();
            return client;
        }

        JsonNode next() throws Exception {
            String message = received.poll(20, TimeUnit.SECONDS);
            assertThat(message).as("a message within 20 s").isNotNull();
            return EventJson.mapper().readTree(message);
        }

        void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                received.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }
    }
}
