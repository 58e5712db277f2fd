package io.breakwater.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness runs, at a size that takes seconds, and prints every figure and ratio it promises. It says nothing of
 * the values: those are for {@code ./breakwater bench} on a quiet machine, not for a test.
 */
class BenchHarnessIT {

    @TempDir
    Path dir;

    @Test
    void shouldPrintEveryFigureAndRatioAndWriteTheReport() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Path report = dir.resolve("benchmarks.md");
        Files.writeString(report, "# Benchmarks\n\n" + Report.START + "\nold\n" + Report.END + "\n\n## Analysis\n\nkept\n");

        int exit;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            exit = BenchCommand.run(List.of("--tiny", "pipeline", "health", "api", "policy", "memory", "llm",
                    "--report", report.toString()), out);
        }

        String printed = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
        assertThat(exit).isZero();
        for (String line : List.of("RATIO pipeline/passthrough ", "RATIO pipeline-http/passthrough ",
                "RATIO park/passthrough ", "BENCH park/latency-p50 ", "BENCH park/latency-p99 ",
                "RATIO replay/passthrough ", "BENCH health/transition-to-topic-p99 ", "BENCH health/transition-to-api-p99 ",
                "RATIO api/producer ", "BENCH api/latency-p99 ", "BENCH policy/chain-overhead ",
                "BENCH policy/open-rejection ", "RATIO llm-c16/goodput-capacity ", "RATIO llm-c16/drain-capacity ",
                "BENCH llm-c16/429-share ", "BENCH llm/fallback-p99 ")) {
            assertThat(printed).as("the harness prints " + line.trim()).contains(line);
        }
        assertThat(printed).as("memory needs the launcher, which this module does not have").contains("memory: skipped");
        String written = Files.readString(report);
        assertThat(written).contains("`pipeline/passthrough`", "| cores |", "## Analysis\n\nkept").doesNotContain("\nold\n");
    }
}
