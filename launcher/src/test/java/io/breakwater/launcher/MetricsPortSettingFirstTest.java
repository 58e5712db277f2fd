package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.Settings;

/**
 * A bad metrics port is a configuration error found before the service connects to anything: with Kafka not
 * answering, it is still reported as one (exit 2), not as a service that could not start.
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
