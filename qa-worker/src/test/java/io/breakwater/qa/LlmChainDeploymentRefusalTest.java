package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.sun.net.httpserver.HttpServer;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.event.AnsweredBy;

/**
 * A primary deployment that refuses its own credentials (401, 403: a key revoked or expired) or is gone (404: a
 * deployment or model deleted) says nothing about the question: the fallback is asked, and the refusal counts against
 * the primary's breaker, instead of every question failing for good while the breaker stays closed.
 */
class LlmChainDeploymentRefusalTest {

    private static final BreakerSettings FIGURES = new BreakerSettings("llm_service", 5, 1, Duration.ofSeconds(60),
            Duration.ofSeconds(30), 0, Duration.ofMillis(500), Duration.ofSeconds(8));

    @ParameterizedTest
    @ValueSource(ints = {401, 403, 404})
    void shouldAskTheFallbackWhenThePrimaryDeploymentRefusesItself(int status) throws IOException {
        HttpServer refusing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        refusing.createContext("/v1/chat/completions", exchange -> {
            byte[] body = "{\"error\":{\"message\":\"invalid api key\"}}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        refusing.start();
        try {
            BreakerPolicy primary = new BreakerPolicy(FIGURES);
            AtomicInteger fallbackCalls = new AtomicInteger();
            LlmChain chain = new LlmChain(List.of(
                    new LlmChain.Deployment(primary, new OpenAiAnswerer(new LlmSettings(Optional.of(URI.create(
                            "http://127.0.0.1:" + refusing.getAddress().getPort() + "/v1")), "main", Optional.empty()),
                            Duration.ofSeconds(10))),
                    new LlmChain.Deployment(new BreakerPolicy(FIGURES.named("llm_service_fallback")), (question, context) -> {
                        fallbackCalls.incrementAndGet();
                        return new Answer("Because.", List.of(), new AnsweredBy(AnsweredBy.LLM, "backup"));
                    })));

            Answer answer = chain.answer("Why?", List.of());

            assertThat(answer.answeredBy().model()).isEqualTo("backup");
            assertThat(fallbackCalls).as("the healthy fallback was asked").hasValue(1);
            assertThat(primary.callsByOutcome()).as("counted against the primary's breaker")
                    .containsEntry("failure", 1L);
        } finally {
            refusing.stop(0);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens.\",\"code\":\"context_length_exceeded\"}}",
        "{\"error\":{\"message\":\"the request exceeds the available context size\",\"code\":400}}",
        "{\"object\":\"error\",\"message\":\"prompt is too long: 9000 tokens\"}"})
    void shouldAskTheFallbackWhenThePrimaryRejectsThePromptAsTooLong(String error) throws IOException {
        HttpServer small = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        small.createContext("/v1/chat/completions", exchange -> {
            byte[] body = error.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(400, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        small.start();
        try {
            LlmChain chain = new LlmChain(List.of(
                    new LlmChain.Deployment(new BreakerPolicy(FIGURES), new OpenAiAnswerer(new LlmSettings(
                            Optional.of(URI.create("http://127.0.0.1:" + small.getAddress().getPort() + "/v1")),
                            "small", Optional.empty()), Duration.ofSeconds(10))),
                    new LlmChain.Deployment(new BreakerPolicy(FIGURES.named("llm_service_fallback")),
                            (question, context) -> new Answer("Because.", List.of(), new AnsweredBy(AnsweredBy.LLM,
                                    "large")))));

            assertThat(chain.answer("Why?", List.of()).answeredBy().model()).isEqualTo("large");
        } finally {
            small.stop(0);
        }
    }
}
