package io.breakwater.launcher.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.breakwater.testkit.EmbeddedKafkaCluster;
import io.breakwater.testkit.TopicProbe;

/**
 * The fault-injection suite's cluster ({@link EmbeddedKafkaCluster}): three brokers, replication factor 3, min ISR 2; a
 * transactional producer goes on through a broker's kill.
 */
class EmbeddedKafkaClusterIT {

    @TempDir
    Path dir;

    @Test
    void shouldCommitTransactionsWhileABrokerIsKilledAndAfterItRestarts() throws Exception {
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(dir, 3, Map.of())) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.clientBootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("t", 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
            }
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.clientBootstrapServers());
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-" + UUID.randomUUID());
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                commit(producer, "before");
                cluster.kill(2);
                assertThat(cluster.isRunning(2)).isFalse();
                commit(producer, "during");
                cluster.restart(2);
                commit(producer, "after");
            }
            TopicProbe probe = new TopicProbe(cluster.bootstrapServers());
            assertThat(probe.readAtLeast("t", 30, Duration.ofSeconds(30))).hasSize(30);
        }
    }

    private static void commit(KafkaProducer<String, String> producer, String phase) {
        producer.beginTransaction();
        for (int i = 0; i < 10; i++) {
            producer.send(new ProducerRecord<>("t", phase + i, phase));
        }
        producer.commitTransaction();
    }
}
