package io.breakwater.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;

/**
 * The baseline: the best a hand-rolled exactly-once consumer can do on this broker. Consume, copy each record to the
 * output topic, and commit each poll's batch with its offsets in one transaction, on one thread, with the same client
 * settings as the workers' loops (read_committed, acks=all, idempotent, transactional). No parsing, no handler, no
 * store: what is left is Kafka's own cost.
 */
final class BareLoop implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final String output;
    private final Thread thread;
    private volatile boolean running = true;

    private BareLoop(KafkaSettings kafka, String input, String output, String group) {
        this.consumer = new KafkaConsumer<>(KafkaClients.transactionalConsumer(kafka, group, group),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(KafkaClients.transactionalProducer(kafka, group, group + "-tx"),
                new ByteArraySerializer(), new ByteArraySerializer());
        this.output = output;
        this.producer.initTransactions();
        this.consumer.subscribe(List.of(input));
        this.thread = new Thread(this::run, "bench-bare-loop");
        this.thread.setDaemon(true);
    }

    static BareLoop start(KafkaSettings kafka, String input, String output, String group) {
        BareLoop loop = new BareLoop(kafka, input, output, group);
        loop.thread.start();
        return loop;
    }

    private void run() {
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                producer.beginTransaction();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    producer.send(new ProducerRecord<>(output, record.key(), record.value()));
                    offsets.put(new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            producer.close();
            consumer.close();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
