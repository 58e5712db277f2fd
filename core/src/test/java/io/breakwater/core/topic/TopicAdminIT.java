package io.breakwater.core.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;

@ExtendWith(EmbeddedServersExtension.class)
class TopicAdminIT {

    @Test
    void shouldCreateTheCatalogueOnceWithItsSettings(EmbeddedServers servers) throws Exception {
        String prefix = "admin-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Topics topics = Topics.from(Settings.of(Map.of("topic.prefix", prefix, "topic.partitions", "4")));

        try (Admin admin = KafkaClients.createAdmin(new KafkaSettings(servers.bootstrapServers(), Map.of()), "admin-it")) {
            TopicAdmin.ensure(admin, topics.all());
            TopicAdmin.ensure(admin, topics.all());

            Set<String> names = admin.listTopics().names().get();
            assertThat(names).contains(prefix + "qa.questions", prefix + "qa.answers", prefix + "qa.questions.dlq");
            TopicDescription questions = admin.describeTopics(Set.of(prefix + "qa.questions")).allTopicNames().get()
                    .get(prefix + "qa.questions");
            assertThat(questions.partitions()).hasSize(4);
        }
    }
}
