package io.breakwater.core.breaker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.concurrent.DaemonThreads;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topic;

/**
 * Publishes an instance's breakers to {@code breaker.events}: each transition and failure count the moment it
 * happens, and a snapshot of every breaker every {@code breaker.snapshot.seconds}. Sending happens on a thread of its
 * own, so a call through a breaker never waits for Kafka; while Kafka is unreachable, reports are dropped (the next
 * snapshot says it all again) and the outage is logged once.
 */
public final class BreakerReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BreakerReporter.class);
    /** How often holds that ran out are noticed and reported. */
    private static final Duration REFRESH = Duration.ofMillis(200);

    private final Topic<String, BreakerEvent> topic;
    private final Set<BreakerPolicy> breakers = ConcurrentHashMap.newKeySet();
    private final KafkaProducer<String, BreakerEvent> producer;
    private final ScheduledExecutorService sender;
    private final AtomicBoolean failing = new AtomicBoolean();

    private BreakerReporter(KafkaSettings kafka, Topic<String, BreakerEvent> topic, String clientId) {
        this.topic = topic;
        Map<String, Object> props = KafkaClients.producer(kafka, clientId);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        this.producer = new KafkaProducer<>(props, topic.keySerde().serializer(), topic.valueSerde().serializer());
        this.sender = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(clientId));
    }

    /**
     * Starts reporting {@code breakers}: a first snapshot at once, then every {@code snapshotInterval}.
     *
     * @param clientId names the producer and the sending thread
     */
    public static BreakerReporter start(KafkaSettings kafka, Topic<String, BreakerEvent> topic,
                                        List<BreakerPolicy> breakers, Duration snapshotInterval, String clientId) {
        BreakerReporter reporter = new BreakerReporter(kafka, topic, clientId);
        breakers.forEach(reporter::add);
        reporter.sender.scheduleAtFixedRate(reporter::snapshotAll, 0, snapshotInterval.toMillis(), TimeUnit.MILLISECONDS);
        reporter.sender.scheduleAtFixedRate(() -> reporter.breakers.forEach(BreakerPolicy::refresh),
                REFRESH.toMillis(), REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        return reporter;
    }

    /** Reports {@code breaker} too, from now on: for breakers made as they are needed (one per crawled host). */
    public void add(BreakerPolicy breaker) {
        breaker.onEvent(event -> {
            if (breakers.contains(breaker)) {
                sender.execute(() -> send(event));
            }
        });
        breakers.add(breaker);
        sender.execute(() -> send(breaker.snapshot()));
    }

    /** Stops reporting {@code breaker}: it is gone (a host's breaker evicted for idleness). */
    public void remove(BreakerPolicy breaker) {
        breakers.remove(breaker);
    }

    @Override
    public void close() {
        // A last snapshot, so the fleet's view has this instance's final figures.
        sender.execute(this::snapshotAll);
        sender.shutdown();
        try {
            sender.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }

    private void snapshotAll() {
        breakers.forEach(breaker -> send(breaker.snapshot()));
    }

    private void send(BreakerEvent event) {
        try {
            producer.send(new ProducerRecord<>(topic.name(), event.breaker(), event), (metadata, error) -> {
                if (error == null) {
                    if (failing.compareAndSet(true, false)) {
                        log.info("Breaker reports reach {} again", topic.name());
                    }
                } else if (failing.compareAndSet(false, true)) {
                    log.warn("Cannot report breakers to {}: {}; reports are dropped until Kafka answers", topic.name(),
                            error.toString());
                }
            });
        } catch (KafkaException e) {
            if (failing.compareAndSet(false, true)) {
                log.warn("Cannot report breakers to {}: {}; reports are dropped until Kafka answers", topic.name(),
                        e.toString());
            }
        }
    }
}
