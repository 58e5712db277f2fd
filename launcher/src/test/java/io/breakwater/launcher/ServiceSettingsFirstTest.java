package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.Settings;

/**
 * A bad setting exits 2 with "Configuration error", and is found before the service takes anything: with the metrics
 * port taken too, the bad setting is what is reported, not the port clash.
 */
class ServiceSettingsFirstTest {

    @Test
    void shouldReportABadWorkerSettingBeforeBindingTheMetricsPort() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("0.0.0.0", 0));
            Settings settings = Settings.load(Map.of("BW_QA_CONCURRENCY", "abc",
                    "BW_METRICS_PORT", Integer.toString(taken.getLocalPort()),
                    "BW_KAFKA_BOOTSTRAP", "127.0.0.1:1", "BW_MONGO_URI", "mongodb://127.0.0.1:1"));

            int exit = Breakwater.commandLine(() -> settings, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)).execute("qa-worker");

            assertThat(err.toString(StandardCharsets.UTF_8)).contains("Configuration error")
                    .contains("BW_QA_CONCURRENCY");
            assertThat(exit).isEqualTo(2);
        }
    }
}
