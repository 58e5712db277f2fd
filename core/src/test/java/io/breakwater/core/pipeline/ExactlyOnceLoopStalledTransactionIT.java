package io.breakwater.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.TopicSpec;
import io.breakwater.testkit.EmbeddedKafkaCluster;
import io.breakwater.testkit.TopicProbe;

/**
 * A transaction that Kafka stops answering halfway: the broker's client connections are frozen between the batch's
 * {@code beforeCommit} and its transaction, so its calls time out (the offsets', then the abort's or the commit's),
 * the producer is replaced while Kafka is still away (its successor made once Kafka answers), and the batch,
 * handled again, commits once: never twice, never lost, the loop still running.
 */
class ExactlyOnceLoopStalledTransactionIT {

    @TempDir
    Path dir;

    @Test
    void shouldCommitTheBatchOnceWhenKafkaStopsAnsweringDuringItsTransactionAndComesBack() throws Exception {
        // The loop's whole package: the committer logs a call that timed out, the loop the batch it handles again.
        Logger loopLog = (Logger) LoggerFactory.getLogger(ExactlyOnceLoop.class.getPackageName());
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        loopLog.addAppender(logged);
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(dir, 1, Map.of())) {
            KafkaSettings kafka = new KafkaSettings(cluster.clientBootstrapServers(), Map.of("max.block.ms", "1500"));
            TopicSpec spec = new TopicSpec(1, (short) 1, Map.of());
            try (Admin admin = KafkaClients.createAdmin(kafka, "test-admin")) {
                TopicAdmin.ensure(admin, List.of(new Topic<>("in", Serdes.ByteArray(), Serdes.ByteArray(), spec),
                        new Topic<>("out", Serdes.ByteArray(), Serdes.ByteArray(), spec),
                        new Topic<>("dlq", Serdes.ByteArray(), Serdes.ByteArray(), spec)));
            }
            TopicProbe probe = new TopicProbe(cluster.bootstrapServers());
            probe.publish("in", bytes("k"), bytes("once"));
            CountDownLatch storing = new CountDownLatch(1);
            CountDownLatch frozen = new CountDownLatch(1);
            RecordHandler<String> handler = new RecordHandler<>() {
                @Override
                public String handle(ConsumerRecord<byte[], byte[]> record) {
                    return new String(record.value(), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
                }

                @Override
                public List<ProducerRecord<byte[], byte[]>> outputs(String result) {
                    return List.of(new ProducerRecord<>("out", bytes("k"), bytes(result)));
                }

                @Override
                public void beforeCommit(List<String> results) throws InterruptedException {
                    storing.countDown();
                    frozen.await(30, TimeUnit.SECONDS);
                }
            };
            LoopSettings settings = new LoopSettings("timeout", List.of("in"), "dlq", "group-timeout", "tx-timeout", 1,
                    Duration.ofMillis(50));
            try (ExactlyOnceLoop<String> loop = ExactlyOnceLoop.start(settings, kafka, handler, Admission.upTo(10),
                    error -> { })) {
                assertThat(storing.await(30, TimeUnit.SECONDS)).isTrue();
                cluster.freezeClients();
                frozen.countDown();
                // Thawed only once a call of the transaction has timed out, whichever it was.
                await().atMost(Duration.ofSeconds(30)).until(() -> logged.list.stream()
                        .anyMatch(event -> event.getFormattedMessage().contains("TimeoutException")
                                || event.getFormattedMessage().contains("timed out")));
                cluster.thawClients();

                List<ConsumerRecord<byte[], byte[]>> out = probe.readAtLeast("out", 1, Duration.ofSeconds(60));
                assertThat(probe.readAll("out", Duration.ofSeconds(3))).as("the batch committed once").hasSize(1);
                assertThat(new String(out.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("ONCE");
                assertThat(loop.isRunning()).isTrue();
            }
        } finally {
            loopLog.detachAppender(logged);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
