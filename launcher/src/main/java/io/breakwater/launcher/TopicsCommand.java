package io.breakwater.launcher;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.admin.Admin;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;

/**
 * {@code breakwater topics}: creates every topic that is missing, with its partitions, copies and settings, and
 * lists them. Services create missing topics themselves at start; running this first (as docker-compose does)
 * makes the settings an operator's choice, visible before any service runs. Topics that exist are left as they are.
 */
final class TopicsCommand {

    private TopicsCommand() {
    }

    static int run(List<String> args, Settings settings, PrintStream out) {
        if (!args.isEmpty()) {
            out.println("Usage: breakwater topics   (creates the missing topics and lists them all)");
            return 2;
        }
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
