package io.breakwater.launcher;

import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code breakwater breaker force-open|disable|reset <name> [--reason TEXT]}: an operator's override of one breaker on
 * every instance, through {@code breaker.control}, which every worker and the breaker-state app read.
 */
@Command(name = "breaker", description = {"Overrides a breaker on every instance.",
        "Through breaker.control, which every worker and the breaker-state app read."})
final class BreakerCommand implements Runnable {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,200}");

    private final Supplier<Settings> settings;
    private final PrintStream out;

    @Spec
    private CommandSpec spec;

    BreakerCommand(Supplier<Settings> settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Say which override: force-open, disable or reset.");
    }

    @Command(name = "force-open", description = "Refuses every call, on every instance: work parks.")
    int forceOpen(@Parameters(paramLabel = "NAME", description = "the breaker, for example llm_service") String breaker,
                  @Option(names = "--reason", paramLabel = "TEXT", description = "shown with the override") String reason) {
        return publish(breaker, BreakerOverride.Mode.FORCE_OPEN, reason);
    }

    @Command(name = "disable", description = "Lets every call through, unguarded but still counted, on every instance.")
    int disable(@Parameters(paramLabel = "NAME", description = "the breaker, for example llm_service") String breaker,
                @Option(names = "--reason", paramLabel = "TEXT", description = "shown with the override") String reason) {
        return publish(breaker, BreakerOverride.Mode.DISABLED, reason);
    }

    @Command(name = "reset", description = "Back to automatic, on every instance.")
    int reset(@Parameters(paramLabel = "NAME", description = "the breaker, for example llm_service") String breaker,
              @Option(names = "--reason", paramLabel = "TEXT", description = "shown with the override") String reason) {
        return publish(breaker, BreakerOverride.Mode.AUTO, reason);
    }

    /** @return the exit code */
    private int publish(String breaker, BreakerOverride.Mode mode, String reason) {
        if (!NAME.matcher(breaker).matches()) {
            throw new ParameterException(spec.commandLine(), "'" + breaker
                    + "' is not a breaker name (letters, digits, _ . : -), for example llm_service.");
        }
        BreakerOverride override = new BreakerOverride(BreakerOverride.SCHEMA_VERSION, breaker, mode,
                System.getProperty("user.name", "unknown") + "@" + Settings.of(Map.of()).instanceId(),
                Clock.systemUTC().instant(), reason);
        Settings settings = this.settings.get();
        KafkaSettings kafka = KafkaSettings.from(settings);
        Topics topics = Topics.from(settings);
        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-breaker-admin")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        try (KafkaProducer<String, BreakerOverride> producer = new KafkaProducer<>(
                KafkaClients.producer(kafka, "breakwater-breaker-cli"), topics.breakerControl().keySerde().serializer(),
                topics.breakerControl().valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(topics.breakerControl().name(), breaker, override)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            out.println("Could not publish the override to " + topics.breakerControl().name() + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        out.printf("%s: %s on every instance, set by %s%s.%n", breaker, switch (override.mode()) {
            case FORCE_OPEN -> "forced open (every call refused: its work parks, or goes on without it)";
            case DISABLED -> "disabled (every call goes through unguarded, still counted)";
            case AUTO -> "back to automatic";
        }, override.by(), override.reason() == null ? "" : " (" + override.reason() + ")");
        return 0;
    }
}
