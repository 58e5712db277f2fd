package io.breakwater.core.kafka;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;

import io.breakwater.core.config.KafkaSettings;

/**
 * Client properties for Breakwater's producers, consumers and admin clients. The settings' pass-through client
 * properties are applied last, so an operator can override anything here (SASL, TLS, timeouts).
 */
public final class KafkaClients {

    private KafkaClients() {
    }

    /** An idempotent producer that waits for every in-sync replica: an acknowledged record survives a broker loss. */
    public static Map<String, Object> producer(KafkaSettings kafka, String clientId) {
        Map<String, Object> props = common(kafka, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // A few milliseconds of batching buys throughput at a latency clients do not notice.
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        // Pages, answers and dead letters are text: zstd makes them a fraction of their size on the wire and disk.
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        // The topic's max.message.bytes decides what fits (RecordLimits checks each record before it is sent); the
        // request limit is only set above every topic's, so that the producer never refuses what the topic takes.
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, RecordLimits.MAX_REQUEST_BYTES);
        return withPassThrough(kafka, props);
    }

    /**
     * A transactional producer for consume-transform-produce: its outputs and the consumer's offsets commit together.
     * The transactional id must be stable per instance, so that a restarted instance aborts what it left open.
     */
    public static Map<String, Object> transactionalProducer(KafkaSettings kafka, String clientId, String transactionalId) {
        Map<String, Object> props = producer(kafka, clientId);
        // Set after the pass-through (applied by producer()): each instance's id must stay its own.
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return props;
    }

    /** A consumer that sees only committed records and commits its offsets only inside transactions. */
    public static Map<String, Object> transactionalConsumer(KafkaSettings kafka, String clientId, String groupId) {
        Map<String, Object> props = common(kafka, clientId);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        withPassThrough(kafka, props);
        // After the pass-through, adding to an operator's own reporters rather than replacing them.
        ConsumerLagReporter.install(props);
        return props;
    }

    public static Map<String, Object> admin(KafkaSettings kafka, String clientId) {
        return withPassThrough(kafka, common(kafka, clientId));
    }

    public static Admin createAdmin(KafkaSettings kafka, String clientId) {
        return Admin.create(admin(kafka, clientId));
    }

    private static Map<String, Object> common(KafkaSettings kafka, String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return props;
    }

    private static Map<String, Object> withPassThrough(KafkaSettings kafka, Map<String, Object> props) {
        props.putAll(kafka.clientProperties());
        return props;
    }
}
