package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.Settings;

/**
 * withMetrics now starts the service before it reads BW_METRICS_PORT, so a bad metrics port is found only after the
 * worker has connected (topics ensured, fleet joined, consumers started). With Kafka not answering, the bad setting
 * is never reported at all: the command waits for Kafka and exits 1 "could not start" instead of 2
 * "Configuration error".
 */
class MetricsPortSettingFirstTest {

    @Test
    void shouldReportABadMetricsPortAsAConfigurationErrorBeforeConnecting() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Settings settings = Settings.load(Map.of("BW_METRICS_PORT", "abc",
                "BW_KAFKA_BOOTSTRAP", "127.0.0.1:1", "BW_MONGO_URI", "mongodb://127.0.0.1:1"));

        long start = System.nanoTime();
        int exit = Breakwater.commandLine(() -> settings, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute("qa-worker");
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;

        assertThat(err.toString(StandardCharsets.UTF_8)).as("after %d s", seconds).contains("Configuration error")
                .contains("BW_METRICS_PORT");
        assertThat(exit).isEqualTo(2);
    }
}
