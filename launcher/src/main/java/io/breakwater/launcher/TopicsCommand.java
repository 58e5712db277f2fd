package io.breakwater.launcher;

import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.Admin;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;
import picocli.CommandLine.Command;

/**
 * {@code breakwater topics}: creates every topic that is missing, with its partitions, copies and settings, and
 * lists them. Services create missing topics themselves at start; running this first (as docker-compose does)
 * makes the settings an operator's choice, visible before any service runs. Topics that exist are left as they are.
 */
@Command(name = "topics", description = {"Creates the missing topics and lists them all.",
        "Partitions, copies and settings from BW_TOPIC_*; topics that exist are left as they are."})
final class TopicsCommand implements Callable<Integer> {

    private final Supplier<Settings> settings;
    private final PrintStream out;

    TopicsCommand(Supplier<Settings> settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    @Override
    public Integer call() {
        Settings settings = this.settings.get();
        KafkaSettings kafka = KafkaSettings.from(settings);
        Topics topics = Topics.from(settings);
        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-topics")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        out.printf("%-28s %10s %8s  %s%n", "TOPIC", "PARTITIONS", "COPIES", "SETTINGS (when created here)");
        for (Topic<?, ?> topic : topics.all()) {
            Map<String, String> configs = new TreeMap<>(topic.spec().configs());
            out.printf("%-28s %10d %8d  %s%n", topic.name(), topic.spec().partitions(),
                    topic.spec().replicationFactor(), configs.isEmpty() ? "-" : configs);
        }
        out.println("Topics are ready on " + kafka.bootstrapServers() + ".");
        return 0;
    }
}
