package io.breakwater.state;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.breaker.BreakerFamilies;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.MalformedEventException;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.LatencyWindow;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.WorkHeaders;

/**
 * Folds breaker events and operators' overrides into one {@link BreakerFold} per breaker, and writes the fleet's
 * health to {@code breaker.health} after each. A wall-clock punctuation drops instances that stopped reporting
 * (the app's own clock, as instances' clocks may disagree) and writes the health again. A record it cannot read goes
 * to the dead-letter sink with the reason in headers; the app carries on.
 */
final class HealthFolder implements Processor<byte[], byte[], String, byte[]> {

    private static final Logger log = LoggerFactory.getLogger(HealthFolder.class);

    private final String controlTopic;
    private final Duration expiry;
    private final Duration expiryCheck;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> folds;

    HealthFolder(String controlTopic, Duration expiry, Duration expiryCheck) {
        this.controlTopic = controlTopic;
        this.expiry = expiry;
        this.expiryCheck = expiryCheck;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.folds = context.getStateStore(BreakerStateTopology.STORE);
        context.schedule(expiryCheck, PunctuationType.WALL_CLOCK_TIME, this::dropSilentInstances);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String topic = context.recordMetadata().map(metadata -> metadata.topic()).orElse("");
        String breaker;
        BreakerFold next;
        try {
            breaker = keyOf(record);
            BreakerFold fold = load(breaker);
            if (topic.equals(controlTopic)) {
                next = fold.with(override(record, breaker));
            } else {
                next = fold.with(event(record, breaker), now());
            }
        } catch (RuntimeException e) {
            // Whatever a record holds, it must not stop the app: it goes aside, with the reason.
            deadLetter(record, topic, e.getMessage() == null ? e.toString() : e.getMessage());
            return;
        }
        save(breaker, next);
    }

    private void dropSilentInstances(long wallClockMs) {
        Instant cutoff = Instant.ofEpochMilli(wallClockMs).minus(expiry);
        List<KeyValue<String, BreakerFold>> changed = new ArrayList<>();
        List<String> gone = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = folds.all()) {
            all.forEachRemaining(entry -> {
                BreakerFold fold = EventJson.decode(entry.value, BreakerFold.class);
                BreakerFold live = fold.withoutInstancesSilentSince(cutoff);
                if (BreakerFamilies.inFamily(entry.key) && live.instances().isEmpty() && live.override() == null) {
                    // A host's breaker no instance runs any more (let go as idle): it leaves breaker.health,
                    // or one entry per host ever crawled would stay there and on /health for good.
                    gone.add(entry.key);
                } else if (live != fold) {
                    log.info("Breaker {}: dropped {} instance(s) silent for over {} s", entry.key,
                            fold.instances().size() - live.instances().size(), expiry.toSeconds());
                    changed.add(KeyValue.pair(entry.key, live));
                }
            });
        }
        changed.forEach(entry -> save(entry.key, entry.value));
        gone.forEach(this::drop);
    }

    private void drop(String breaker) {
        folds.delete(breaker);
        context.forward(new Record<String, byte[]>(breaker, null, context.currentSystemTimeMs()),
                BreakerStateTopology.HEALTH_SINK);
        HealthMetrics.dropped(breaker);
        log.debug("Breaker {}: no instance reports it any more; dropped from breaker.health", breaker);
    }

    private void save(String breaker, BreakerFold fold) {
        folds.put(breaker, EventJson.encode(fold));
        BreakerHealth health = fold.health(now());
        context.forward(new Record<>(breaker, EventJson.encode(health), context.currentSystemTimeMs()),
                BreakerStateTopology.HEALTH_SINK);
        HealthMetrics.folded(health);
    }

    private BreakerFold load(String breaker) {
        byte[] stored = folds.get(breaker);
        return stored == null ? BreakerFold.empty(breaker) : EventJson.decode(stored, BreakerFold.class);
    }

    private Instant now() {
        return Instant.ofEpochMilli(context.currentSystemTimeMs());
    }

    private static String keyOf(Record<byte[], byte[]> record) {
        if (record.key() == null || record.key().length == 0) {
            throw new MalformedEventException("the key is empty; expected the breaker's name");
        }
        return new String(record.key(), StandardCharsets.UTF_8);
    }

    private static BreakerEvent event(Record<byte[], byte[]> record, String breaker) {
        BreakerEvent event = EventJson.decode(record.value(), BreakerEvent.class);
        if (!event.breaker().equals(breaker)) {
            throw new MalformedEventException("the key names breaker '" + breaker + "' but the event is about '"
                    + event.breaker() + "'");
        }
        if (event.latency() != null) {
            // Check it now: a histogram that cannot be read or merged must not stop every later health record.
            LatencyWindow.empty().add(LatencyWindow.decode(event.latency()));
        }
        return event;
    }

    private static BreakerOverride override(Record<byte[], byte[]> record, String breaker) {
        BreakerOverride override = EventJson.decode(record.value(), BreakerOverride.class);
        if (!override.breaker().equals(breaker)) {
            throw new MalformedEventException("the key names breaker '" + breaker + "' but the override is for '"
                    + override.breaker() + "'");
        }
        return override;
    }

    private void deadLetter(Record<byte[], byte[]> record, String topic, String reason) {
        log.warn("Dead-lettered a record of {}: {}", topic, reason);
        Headers headers = new RecordHeaders(record.headers().toArray());
        WorkHeaders.set(headers, WorkHeaders.REASON, DeadLetters.REASON_MALFORMED);
        WorkHeaders.set(headers, WorkHeaders.ERROR_MESSAGE, reason);
        WorkHeaders.set(headers, WorkHeaders.DEAD_LETTERED_AT, now().toString());
        context.recordMetadata().ifPresent(metadata -> WorkHeaders.setOriginIfAbsent(headers, metadata.topic(),
                metadata.partition(), metadata.offset()));
        context.forward(new Record<>(record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                record.value(), record.timestamp(), headers), BreakerStateTopology.DEAD_LETTER_SINK);
    }
}
