package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.breakwater.core.config.ConfigException;
import io.breakwater.core.config.Settings;

/** The {@code breakwater} command line behaves like a command line: help starts nothing, options come in any order. */
class BreakwaterCommandLineTest {

    /** Settings that must not be read: a command that reads them has started to do something. */
    private static final Supplier<Settings> UNTOUCHABLE = () -> {
        throw new AssertionError("the command read its settings: it started to run");
    };

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @ParameterizedTest
    @ValueSource(strings = {"up", "ingest-api", "qa-worker", "crawler-worker", "breaker-state", "topics", "health",
            "breaker", "breaker force-open", "breaker disable", "breaker reset", "dlq", "dlq list", "dlq replay"})
    void shouldPrintUsageForHelpOnEveryCommandAndStartNothing(String command) {
        for (String help : List.of("--help", "-h")) {
            out.reset();
            List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
            args.add(help);

            int exit = run(UNTOUCHABLE, args.toArray(String[]::new));

            assertThat(exit).isZero();
            assertThat(printed()).startsWith("Usage: breakwater " + command + " ");
        }
    }

    @Test
    void shouldPrintTheVersion() {
        assertThat(run(UNTOUCHABLE, "--version")).isZero();
        assertThat(printed()).startsWith("breakwater ").doesNotContain("unknown version").contains("Java ");
        out.reset();
        assertThat(run(UNTOUCHABLE, "up", "--version")).isZero();
        assertThat(printed()).startsWith("breakwater ");
    }

    @Test
    void shouldListEveryCommandWhenRunWithoutOne() {
        assertThat(run(UNTOUCHABLE)).isZero();
        assertThat(printed()).contains("up ", "ingest-api", "qa-worker", "crawler-worker", "breaker-state", "topics",
                "health", "breaker", "dlq", "'breakwater bench --help'");
    }

    @Test
    void shouldRefuseAnUnknownCommandOrOptionWithUsageAndExitTwo() {
        assertThat(run(UNTOUCHABLE, "bogus")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'bogus'").contains("Usage: breakwater ");
        assertThat(run(UNTOUCHABLE, "health", "--bogus")).isEqualTo(2);
        assertThat(run(UNTOUCHABLE, "breaker", "force-open")).as("a breaker must be named").isEqualTo(2);
        assertThat(run(UNTOUCHABLE, "breaker", "force-open", "llm service")).as("not a breaker name").isEqualTo(2);
        assertThat(run(UNTOUCHABLE, "dlq", "replay", "qa.questions.dlq", "--limit", "-1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--limit must be a whole number, 0 or more, but was -1");
    }

    @Test
    void shouldTakeOptionsInAnyOrder() {
        Supplier<Settings> badSettings = () -> {
            throw new ConfigException("BW_KAFKA_BOOTSTRAP is not a host:port list");
        };
        // Both orders parse and reach the settings, which here are bad: a usage error would exit 2 before that.
        assertThat(run(badSettings, "breaker", "force-open", "--reason", "LLM quota spent", "llm_service")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Configuration error: BW_KAFKA_BOOTSTRAP");
        err.reset();
        assertThat(run(badSettings, "breaker", "force-open", "llm_service", "--reason", "LLM quota spent")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Configuration error: BW_KAFKA_BOOTSTRAP")
                .doesNotContain("Usage");
    }

    @Test
    void shouldExitOneWithTheMessageWhenACommandFails() {
        Supplier<Settings> unreachable = () -> {
            throw new IllegalStateException("Kafka did not answer within 30 s while creating topics: is it reachable?");
        };
        assertThat(run(unreachable, "topics")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Kafka did not answer").doesNotContain("at io.");
    }

    private int run(Supplier<Settings> settings, String... args) {
        return Breakwater.commandLine(settings, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args);
    }

    private String printed() {
        return out.toString(StandardCharsets.UTF_8);
    }
}
