package io.breakwater.core.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;

@ExtendWith(EmbeddedServersExtension.class)
class TopicFollowerIT {

    @Test
    void shouldFollowPartitionsAddedAfterItStarted(EmbeddedServers servers) throws Exception {
        KafkaSettings kafka = new KafkaSettings(servers.bootstrapServers(), Map.of());
        String topic = "grows-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Admin admin = KafkaClients.createAdmin(kafka, "follower-it");
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producer(kafka, "follower-it"),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            try (TopicFollower follower = TopicFollower.startAtEnd(kafka, "follower-it", List.of(topic),
                    record -> seen.add(new String(record.value(), StandardCharsets.UTF_8)), Duration.ofMillis(200))) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    producer.send(new ProducerRecord<>(topic, 0, null, "first".getBytes(StandardCharsets.UTF_8))).get();
                    assertThat(seen).contains("first");
                });

                admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get();
                producer.send(new ProducerRecord<>(topic, 1, null, "on the new one".getBytes(StandardCharsets.UTF_8)))
                        .get();

                await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains("on the new one"));
            }
        }
    }
}
