package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.Source;
import io.breakwater.testkit.LlmDouble.Mode;
import io.breakwater.testkit.LlmDouble;

/** The LLM client against a real local HTTP server speaking the OpenAI format. */
class OpenAiAnswererIT {

    private LlmDouble llm;
    private OpenAiAnswerer answerer;

    @BeforeEach
    void start() {
        llm = LlmDouble.start();
        answerer = new OpenAiAnswerer(new LlmSettings(Optional.of(URI.create(llm.baseUrl())), "test-model",
                Optional.of("secret-key")), Duration.ofMillis(500));
    }

    @AfterEach
    void stop() {
        llm.close();
    }

    @Test
    void shouldReturnTheModelsAnswerLabelledWithTheModel() throws Exception {
        Answer answer = answerer.answer("What is Kafka?", List.of());

        assertThat(answer.text()).isEqualTo(LlmDouble.answerTo("What is Kafka?"));
        assertThat(answer.answeredBy()).isEqualTo(new AnsweredBy(AnsweredBy.LLM, "test-model"));
        assertThat(llm.authorizations()).containsExactly("Bearer secret-key");
    }

    @Test
    void shouldGiveTheModelTheContextAndCiteItsPages() throws Exception {
        Passage page = new Passage("https://example.org/k", "Kafka", "Kafka keeps records in partitions.");

        Answer answer = answerer.answer("What is Kafka?", List.of(page));

        assertThat(llm.questions().get(0)).contains("Kafka keeps records in partitions.").endsWith("Question: What is Kafka?");
        assertThat(answer.sources()).containsExactly(new Source("https://example.org/k", "Kafka"));
    }

    @Test
    void shouldCallA500Unavailable() {
        llm.mode(Mode.FAIL_500);

        assertThatThrownBy(() -> answerer.answer("Q?", List.of()))
                .isInstanceOf(DependencyUnavailableException.class)
                .hasMessage("the LLM answered HTTP 500: model crashed");
    }

    @Test
    void shouldCallA429ACooldownForItsRetryAfterNotAFailure() {
        llm.mode(Mode.RATE_LIMITED_429);

        assertThatThrownBy(() -> answerer.answer("Q?", List.of()))
                .isInstanceOfSatisfying(io.breakwater.core.breaker.DependencyCoolingException.class, e ->
                        assertThat(e.coolFor()).isEqualTo(Duration.ofSeconds(2)));
    }

    @Test
    void shouldCallA400ARejectionOfTheRequest() {
        llm.mode(Mode.REJECT_400);

        assertThatThrownBy(() -> answerer.answer("Q?", List.of()))
                .isInstanceOf(DependencyRejectedException.class)
                .hasMessage("the LLM rejected the request with HTTP 400: unsupported value: temperature");
    }

    @Test
    void shouldCallAGarbledBodyUnavailable() {
        llm.mode(Mode.MALFORMED);

        assertThatThrownBy(() -> answerer.answer("Q?", List.of()))
                .isInstanceOf(DependencyUnavailableException.class)
                .hasMessageContaining("not JSON")
                .hasMessageContaining("<html>gateway says hello</html>");
    }

    @Test
    void shouldCallABodyOverItsLimitUnavailableSayingSo() throws Exception {
        com.sun.net.httpserver.HttpServer endless = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        endless.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'a');
            try (java.io.OutputStream body = exchange.getResponseBody()) {
                for (int i = 0; i < 100; i++) {
                    body.write(chunk);
                }
            } catch (java.io.IOException e) {
                // the client stopped reading, as it should
            }
        });
        endless.start();
        try {
            OpenAiAnswerer toEndless = new OpenAiAnswerer(new LlmSettings(Optional.of(URI.create("http://127.0.0.1:"
                    + endless.getAddress().getPort() + "/v1")), "m", Optional.empty()), Duration.ofSeconds(5));

            assertThatThrownBy(() -> toEndless.answer("Q?", List.of()))
                    .isInstanceOf(DependencyUnavailableException.class)
                    .hasMessageContaining("answered with a body larger than " + OpenAiAnswerer.MAX_BODY_BYTES + " bytes");
        } finally {
            endless.stop(0);
        }
    }

    @Test
    void shouldGiveUpOnAServerThatHangs() {
        llm.mode(Mode.HANG);

        assertThatThrownBy(() -> answerer.answer("Q?", List.of()))
                .isInstanceOf(DependencyUnavailableException.class)
                .hasMessageContaining("did not answer within 500 ms");
    }

    @Test
    void shouldCallARefusedConnectionUnavailable() {
        llm.mode(Mode.DOWN);

        assertThatThrownBy(() -> answerer.answer("Q?", List.of()))
                .isInstanceOf(DependencyUnavailableException.class)
                .hasMessage("cannot reach the LLM at " + llm.baseUrl() + "/chat/completions: connection refused");
    }
}
