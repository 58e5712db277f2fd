package io.breakwater.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Optional;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;

import io.breakwater.core.config.Settings;
import io.breakwater.core.metrics.ProcessMetrics;

/**
 * {@code GET /metrics} for a service without an HTTP port of its own (the workers, the breaker-state app): a small
 * server on {@code metrics.port} ({@code BW_METRICS_PORT}; {@code off} for none, 0 for any free port) serving this
 * process's {@link ProcessMetrics}. The ingest API serves the same at {@code /metrics} on its own port.
 */
final class MetricsEndpoint implements AutoCloseable {

    static final String PORT_KEY = "metrics.port";

    private final HTTPServer server;

    private MetricsEndpoint(HTTPServer server) {
        this.server = server;
    }

    /**
     * The port {@code metrics.port} names, or empty for {@code off}: read before the service starts, so that a bad
     * value is a configuration error found before anything connects.
     *
     * @param defaultPort the service's own default, so that services on one host do not collide
     * @throws io.breakwater.core.config.ConfigException if it is neither a port number nor {@code off}
     */
    static Optional<Integer> port(Settings settings, int defaultPort) {
        if (settings.find(PORT_KEY).map(value -> value.toLowerCase(Locale.ROOT).equals("off")).orElse(false)) {
            return Optional.empty();
        }
        int port = settings.integer(PORT_KEY, defaultPort);
        if (port < 0 || port > 65_535) {
            throw Settings.invalid(PORT_KEY, port, "a port number, 0 for any free port, or off");
        }
        return Optional.of(port);
    }

    /**
     * Serves the metrics on {@code port} (0: any free port).
     *
     * @throws UncheckedIOException if the port is taken
     */
    static MetricsEndpoint start(int port) {
        try {
            return new MetricsEndpoint(HTTPServer.builder().port(port).registry(ProcessMetrics.registry()).buildAndStart());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot serve metrics on port " + port + " (" + Settings.variableName(PORT_KEY)
                    + "): " + e.getMessage(), e);
        }
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
