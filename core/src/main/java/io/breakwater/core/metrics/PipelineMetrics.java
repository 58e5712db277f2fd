package io.breakwater.core.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;

/**
 * What the workers' loops did, counted when it is committed (an aborted transaction counts nothing, so a record
 * handled twice after a crash counts once): records processed per loop and input topic, records parked, replayed
 * and dead-lettered per topic, and how long handling one record took. Registered with {@link ProcessMetrics}.
 * Thread-safe.
 */
public final class PipelineMetrics {

    private static final Counter PROCESSED = Counter.builder().name("breakwater_records_processed")
            .help("Records consumed and committed, per loop (qa-worker, qa-worker-replay, ...) and input topic")
            .labelNames("loop", "topic")
            .register(ProcessMetrics.registry());
    private static final Counter PARKED = Counter.builder().name("breakwater_records_parked")
            .help("Records parked (a breaker was open or the dependency failed), per parked topic; a replayed"
                    + " record parked again counts again")
            .labelNames("topic")
            .register(ProcessMetrics.registry());
    private static final Counter REPLAYED = Counter.builder().name("breakwater_records_replayed")
            .help("Parked records read back and committed, whatever came of them, per parked topic")
            .labelNames("topic")
            .register(ProcessMetrics.registry());
    private static final Counter DEAD_LETTERED = Counter.builder().name("breakwater_records_dead_lettered")
            .help("Records sent to a dead-letter topic (malformed, too large, failed in the handler, parked too"
                    + " often), per dead-letter topic")
            .labelNames("topic")
            .register(ProcessMetrics.registry());
    private static final Counter SKIPPED = Counter.builder().name("breakwater_records_skipped")
            .help("Records passed over with nothing sent, not even a dead letter, because every transaction that"
                    + " carried them failed (their bare dead letter too), per loop: an operator should look at once")
            .labelNames("loop")
            .register(ProcessMetrics.registry());
    private static final Histogram PROCESSING_SECONDS = Histogram.builder().name("breakwater_processing_seconds")
            .help("How long handling one record took, from a worker thread taking it to its outcome (before the"
                    + " commit), per loop")
            .labelNames("loop")
            .classicOnly().classicUpperBounds(ProcessMetrics.LATENCY_BUCKETS)
            .register(ProcessMetrics.registry());

    private static final Histogram COMMIT_SECONDS = Histogram.builder().name("breakwater_commit_seconds")
            .help("How long committing one batch took: storing its outcomes (beforeCommit) and its Kafka transaction,"
                    + " per loop")
            .labelNames("loop")
            .classicOnly().classicUpperBounds(ProcessMetrics.LATENCY_BUCKETS)
            .register(ProcessMetrics.registry());
    private static final Histogram COMMIT_RECORDS = Histogram.builder().name("breakwater_commit_records")
            .help("Input records per committed batch, per loop")
            .labelNames("loop")
            .classicOnly().classicUpperBounds(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
            .register(ProcessMetrics.registry());

    private PipelineMetrics() {
    }

    public static void processed(String loop, String topic, long count) {
        PROCESSED.labelValues(loop, topic).inc(count);
    }

    public static void parked(String topic, long count) {
        PARKED.labelValues(topic).inc(count);
    }

    public static void replayed(String topic, long count) {
        REPLAYED.labelValues(topic).inc(count);
    }

    public static void deadLettered(String topic, long count) {
        DEAD_LETTERED.labelValues(topic).inc(count);
    }

    public static void skipped(String loop) {
        SKIPPED.labelValues(loop).inc();
    }

    public static void committed(String loop, long records, long nanos) {
        COMMIT_SECONDS.labelValues(loop).observe(nanos / 1e9);
        COMMIT_RECORDS.labelValues(loop).observe(records);
    }

    public static void handled(String loop, long nanos) {
        PROCESSING_SECONDS.labelValues(loop).observe(nanos / 1e9);
    }
}
