package io.breakwater.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.ConfigException;
import io.breakwater.core.config.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code breakwater} command line: {@code up} runs the whole pipeline in this process; {@code ingest-api},
 * {@code qa-worker}, {@code crawler-worker} and {@code breaker-state} run one service against the Kafka and MongoDB
 * the settings name, until Ctrl-C or SIGTERM; the rest are one-shot tools for operators. Every command takes
 * {@code --help} and {@code --version}; options come in any order.
 */
@Command(name = "breakwater", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Breakwater.Version.class, sortOptions = false,
        description = "Keeps an LLM-backed question-answering pipeline answering, and losing nothing, when its"
                + " dependencies fail.",
        footer = {"", "Settings come from BW_* environment variables, or a properties file named by BW_CONFIG_FILE;"
                + " README.md lists them. 'breakwater <command> --help' describes a command.", "",
                "Benchmarks: 'breakwater bench --help' (a program of their own, not in the service's jar)."})
public final class Breakwater implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Breakwater.class);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private Breakwater() {
    }

    public static void main(String[] args) {
        System.exit(commandLine(Settings::fromEnvironment, System.out, System.err).execute(args));
    }

    /**
     * Every command, reading its settings from {@code settings} only when it runs (so {@code --help} works whatever the
     * environment says) and printing to {@code out}; usage errors and failures go to {@code err}.
     */
    static CommandLine commandLine(Supplier<Settings> settings, PrintStream out, PrintStream err) {
        Supplier<Settings> once = new Once<>(settings);
        CommandLine cli = new CommandLine(new Breakwater());
        for (ServiceCommand service : ServiceCommand.all(once)) {
            cli.addSubcommand(service.name(), service.commandLine());
        }
        cli.addSubcommand(new TopicsCommand(once, out));
        cli.addSubcommand(new HealthCommand(once, out));
        cli.addSubcommand(new BreakerCommand(once, out));
        cli.addSubcommand(new DeadLetterCommand(once, out));
        cli.addSubcommand(new CommandLine.HelpCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, command, parsed) -> failed(e, command.getErr()));
        return cli;
    }

    /** Runs one command line, as {@code main} does without exiting: for tests. */
    static int execute(Settings settings, PrintStream out, String... args) {
        return commandLine(() -> settings, out, out).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A bad setting exits 2 with the setting named; any other failure exits 1 with its message, not a stack trace. */
    private static int failed(Exception e, PrintWriter err) {
        if (e instanceof ConfigException) {
            err.println("Configuration error: " + e.getMessage());
            return 2;
        }
        log.debug("command failed", e);
        err.println(e.getMessage() == null ? e.toString() : e.getMessage());
        return 1;
    }

    /** The version Maven built, from the jar's resources. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = Breakwater.class.getResourceAsStream("/breakwater.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"breakwater " + properties.getProperty("version", "(unknown version)"),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }

    /** The settings are read once per command line, the first time a command asks. */
    private static final class Once<T> implements Supplier<T> {
        private final Supplier<T> source;
        private T value;

        Once(Supplier<T> source) {
            this.source = source;
        }

        @Override
        public synchronized T get() {
            if (value == null) {
                value = source.get();
            }
            return value;
        }
    }
}
