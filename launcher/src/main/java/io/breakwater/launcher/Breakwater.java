package io.breakwater.launcher;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.bench.BenchCommand;
import io.breakwater.core.config.ConfigException;
import io.breakwater.core.config.Settings;
import io.breakwater.crawler.CrawlerWorker;
import io.breakwater.ingest.IngestApi;
import io.breakwater.qa.QaWorker;
import io.breakwater.state.BreakerStateApp;

/**
 * The {@code breakwater} command: {@code up} runs the whole pipeline in this process; {@code ingest-api} and
 * {@code qa-worker} run one service against the Kafka and MongoDB the settings name. Each runs until Ctrl-C or
 * SIGTERM, then stops cleanly.
 */
public final class Breakwater {

    private static final Logger log = LoggerFactory.getLogger(Breakwater.class);

    static final String USAGE = String.join(System.lineSeparator(),
            "Usage: breakwater <command>",
            "",
            "Commands:",
            "  up           run the whole pipeline in one process: embedded Kafka (KRaft) and MongoDB unless",
            "               BW_KAFKA_BOOTSTRAP / BW_MONGO_URI are set, the ingest API and the QA worker",
            "  ingest-api   run only the ingest API (needs BW_KAFKA_BOOTSTRAP and BW_MONGO_URI)",
            "  qa-worker    run only the QA worker (needs BW_KAFKA_BOOTSTRAP and BW_MONGO_URI)",
            "  crawler-worker  run only the crawler worker (needs BW_KAFKA_BOOTSTRAP and BW_MONGO_URI)",
            "  breaker-state  run only the breaker-state app, breaker.events into breaker.health (needs BW_KAFKA_BOOTSTRAP)",
            "  topics       create the missing topics (partitions, copies, settings from BW_TOPIC_*) and list them",
            "  health [--watch] [--json] [--all]             every breaker's health across the fleet (--all: every host's)",
            "  breaker force-open|disable|reset <name> [--reason TEXT]   override a breaker on every instance",
            "  dlq list <topic>                              what a dead-letter topic holds, and why",
            "  dlq replay <topic> [--reason R] [--limit N]   put dead letters back on their origin topic, once each",
            "  bench [--quick] [part...]                     what the resilience costs, against baselines measured in the",
            "               same run: pipeline, health, api, policy, memory (a full run writes docs/benchmarks.md)",
            "  help         show this",
            "",
            "Settings come from BW_* environment variables, or a properties file named by BW_CONFIG_FILE;",
            "README.md lists them.");

    private Breakwater() {
    }

    public static void main(String[] args) {
        String command = args.length == 0 ? "help" : args[0];
        switch (command) {
            case "up" -> run("Breakwater", (settings, onFailure) -> {
                LocalPipeline pipeline = LocalPipeline.start(settings, onFailure);
                System.out.println(pipeline.describe(settings));
                return pipeline;
            });
            case "ingest-api" -> run("Ingest API", (settings, onFailure) -> IngestApi.start(settings));
            case "qa-worker" -> run("QA worker", withMetrics(9401, QaWorker::start));
            case "crawler-worker" -> run("Crawler worker", withMetrics(9402, CrawlerWorker::start));
            case "breaker-state" -> run("Breaker-state app", withMetrics(9403, (settings, onFailure) ->
                    BreakerStateApp.start(settings, Duration.ofSeconds(60), onFailure)));
            case "health" -> System.exit(tool(() -> HealthCommand.run(List.of(args).subList(1, args.length),
                    Settings.fromEnvironment(), System.out)));
            case "breaker" -> System.exit(tool(() -> BreakerCommand.run(List.of(args).subList(1, args.length),
                    Settings.fromEnvironment(), System.out)));
            case "topics" -> System.exit(tool(() -> TopicsCommand.run(List.of(args).subList(1, args.length),
                    Settings.fromEnvironment(), System.out)));
            case "dlq" -> System.exit(tool(() -> DeadLetterCommand.run(List.of(args).subList(1, args.length),
                    Settings.fromEnvironment(), System.out)));
            case "bench" -> System.exit(tool(() -> bench(List.of(args).subList(1, args.length))));
            case "help", "--help", "-h" -> System.out.println(USAGE);
            default -> {
                System.err.println("Unknown command '" + command + "'." + System.lineSeparator() + USAGE);
                System.exit(2);
            }
        }
    }

    @FunctionalInterface
    private interface Service {
        AutoCloseable start(Settings settings, Consumer<Throwable> onFailure);
    }

    /** A service with a metrics endpoint of its own, on {@code defaultPort} unless BW_METRICS_PORT says otherwise. */
    private static Service withMetrics(int defaultPort, Service service) {
        return (settings, onFailure) -> {
            java.util.Optional<MetricsEndpoint> metrics = MetricsEndpoint.start(settings, defaultPort);
            metrics.ifPresent(endpoint -> log.info("Metrics at http://0.0.0.0:{}/metrics", endpoint.port()));
            try {
                AutoCloseable running = service.start(settings, onFailure);
                return () -> {
                    try {
                        running.close();
                    } finally {
                        metrics.ifPresent(MetricsEndpoint::close);
                    }
                };
            } catch (RuntimeException e) {
                metrics.ifPresent(MetricsEndpoint::close);
                throw e;
            }
        };
    }

    /** Starts a service, stops it on Ctrl-C or SIGTERM, and exits non-zero if it cannot start or dies. */
    private static void run(String name, Service service) {
        AutoCloseable running;
        try {
            running = service.start(Settings.fromEnvironment(), Breakwater::exitOnFailure);
        } catch (ConfigException e) {
            System.err.println("Configuration error: " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            log.debug("{} could not start", name, e);
            System.err.println(name + " could not start: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping {}...", name);
            closeQuietly(running);
            log.info("{} stopped.", name);
            stopped.countDown();
        }, "bw-shutdown"));
        awaitQuietly(stopped);
    }

    /** Runs a one-shot command, turning a bad setting or an unreachable cluster into a message and an exit code. */
    private static int tool(java.util.function.IntSupplier command) {
        try {
            return command.getAsInt();
        } catch (ConfigException e) {
            System.err.println("Configuration error: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            log.debug("command failed", e);
            System.err.println(e.getMessage());
            return 1;
        }
    }

    private static int bench(List<String> args) {
        try {
            return BenchCommand.run(args, System.out);
        } catch (Exception e) {
            throw new IllegalStateException("The benchmark failed: " + e.getMessage(), e);
        }
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

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
