package io.breakwater.launcher;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.ConfigException;
import io.breakwater.core.config.Settings;
import io.breakwater.crawler.CrawlerWorker;
import io.breakwater.ingest.IngestApi;
import io.breakwater.qa.QaWorker;
import io.breakwater.state.BreakerStateApp;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * A command that runs a service until Ctrl-C or SIGTERM, then stops it cleanly: {@code up} (everything in one process)
 * or one of the services on its own. A service that cannot start exits 1 (2 for a bad setting); one that dies later
 * stops the process with 1, so that a supervisor restarts it.
 */
@Command(mixinStandardHelpOptions = true)
final class ServiceCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServiceCommand.class);

    /** Starts a service; a failure after the start goes to {@code onFailure}. */
    @FunctionalInterface
    interface Service {
        AutoCloseable start(Settings settings, Consumer<Throwable> onFailure);
    }

    private final String name;
    private final String title;
    private final String[] description;
    private final Supplier<Settings> settings;
    private final Service service;

    private ServiceCommand(String name, String title, String[] description, Supplier<Settings> settings, Service service) {
        this.name = name;
        this.title = title;
        this.description = description;
        this.settings = settings;
        this.service = service;
    }

    static List<ServiceCommand> all(Supplier<Settings> settings) {
        return List.of(
                new ServiceCommand("up", "Breakwater", new String[] {"Runs the whole pipeline in one process.",
                        "Embedded Kafka (KRaft) and MongoDB unless BW_KAFKA_BOOTSTRAP / BW_MONGO_URI are set, the ingest"
                        + " API, both workers and the breaker-state app."}, settings, (config, onFailure) -> {
                            LocalPipeline pipeline = LocalPipeline.start(config, onFailure);
                            System.out.println(pipeline.describe(config));
                            return pipeline;
                        }),
                new ServiceCommand("ingest-api", "Ingest API", new String[] {"Runs only the ingest API.",
                        "Needs BW_KAFKA_BOOTSTRAP and BW_MONGO_URI."}, settings, (config, onFailure) -> IngestApi.start(config)),
                new ServiceCommand("qa-worker", "QA worker", new String[] {"Runs only the QA worker.",
                        "Needs BW_KAFKA_BOOTSTRAP and BW_MONGO_URI; metrics on port 9401 unless BW_METRICS_PORT says"
                        + " otherwise."}, settings,
                        withMetrics(9401, QaWorker::start)),
                new ServiceCommand("crawler-worker", "Crawler worker", new String[] {"Runs only the crawler worker.",
                        "Needs BW_KAFKA_BOOTSTRAP and BW_MONGO_URI; metrics on port 9402 unless BW_METRICS_PORT says"
                        + " otherwise."}, settings, withMetrics(9402, CrawlerWorker::start)),
                new ServiceCommand("breaker-state", "Breaker-state app", new String[] {"Runs only the breaker-state"
                        + " app: breaker.events folded into breaker.health.", "Needs BW_KAFKA_BOOTSTRAP; metrics on port"
                        + " 9403 unless BW_METRICS_PORT says otherwise."}, settings, withMetrics(9403, (config, onFailure) ->
                        BreakerStateApp.start(config, Duration.ofSeconds(60), onFailure))));
    }

    String name() {
        return name;
    }

    CommandLine commandLine() {
        CommandLine cli = new CommandLine(this);
        cli.getCommandSpec().usageMessage().description(description);
        return cli;
    }

    @Override
    public Integer call() {
        AutoCloseable running;
        try {
            running = service.start(settings.get(), ServiceCommand::exitOnFailure);
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            log.debug("{} could not start", title, e);
            throw new IllegalStateException(title + " could not start: " + e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping {}...", title);
            closeQuietly(running);
            log.info("{} stopped.", title);
            stopped.countDown();
        }, "bw-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * A service with a metrics endpoint of its own, on {@code defaultPort} unless BW_METRICS_PORT says otherwise. The
     * port setting is read first, then the service starts (finding a bad setting of its own before the port is
     * taken), then the port is bound; if it cannot be had, the service is stopped again.
     */
    private static Service withMetrics(int defaultPort, Service service) {
        return (settings, onFailure) -> {
            Optional<Integer> port = MetricsEndpoint.port(settings, defaultPort);
            AutoCloseable running = service.start(settings, onFailure);
            Optional<MetricsEndpoint> metrics;
            try {
                metrics = port.map(MetricsEndpoint::start);
            } catch (RuntimeException e) {
                closeQuietly(running);
                throw e;
            }
            metrics.ifPresent(endpoint -> log.info("Metrics at http://0.0.0.0:{}/metrics", endpoint.port()));
            return () -> {
                try {
                    running.close();
                } finally {
                    metrics.ifPresent(MetricsEndpoint::close);
                }
            };
        };
    }

    /** A service that died cannot be trusted to recover: stop the process so a supervisor can restart it. */
    private static void exitOnFailure(Throwable failure) {
        log.error("Stopping the process: {}", failure.toString());
        // Exit from a thread of its own: the failing thread is one the shutdown hook waits for.
        new Thread(() -> System.exit(1), "bw-exit").start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("Stopping failed: {}", e.toString());
        }
    }
}
