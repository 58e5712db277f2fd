package io.breakwater.launcher;

import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

/**
 * {@code breakwater breaker force-open|disable|reset <name> [--reason TEXT]}: an operator's override of one breaker on
 * every instance, through {@code breaker.control}, which every worker and the breaker-state app read.
 */
final class BreakerCommand {

    static final String USAGE = String.join(System.lineSeparator(),
            "Usage: breakwater breaker force-open <name> [--reason TEXT]   refuse every call, on every instance",
            "       breakwater breaker disable <name> [--reason TEXT]      let every call through, still counted",
            "       breakwater breaker reset <name>                        back to automatic");
    private static final Map<String, BreakerOverride.Mode> MODES = Map.of("force-open", BreakerOverride.Mode.FORCE_OPEN,
            "disable", BreakerOverride.Mode.DISABLED, "reset", BreakerOverride.Mode.AUTO);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,200}");

    private BreakerCommand() {
    }

    /** @return the exit code */
    static int run(List<String> args, Settings settings, PrintStream out) {
        boolean withReason = args.size() == 4 && args.get(2).equals("--reason");
        if (!(args.size() == 2 || withReason) || !MODES.containsKey(args.get(0))) {
            out.println(USAGE);
            return 2;
        }
        String breaker = args.get(1);
        if (!NAME.matcher(breaker).matches()) {
            out.println("'" + breaker + "' is not a breaker name (letters, digits, _ . : -), for example llm_service.");
            return 2;
        }
        BreakerOverride override = new BreakerOverride(BreakerOverride.SCHEMA_VERSION, breaker, MODES.get(args.get(0)),
                System.getProperty("user.name", "unknown") + "@" + Settings.of(Map.of()).instanceId(),
                Clock.systemUTC().instant(), withReason ? args.get(3) : null);
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
            case FORCE_OPEN -> "forced open (every call refused, work parked)";
            case DISABLED -> "disabled (every call goes through unguarded, still counted)";
            case AUTO -> "back to automatic";
        }, override.by(), override.reason() == null ? "" : " (" + override.reason() + ")");
        return 0;
    }
}
