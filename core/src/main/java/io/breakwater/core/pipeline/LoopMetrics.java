package io.breakwater.core.pipeline;

import java.time.Duration;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.breakwater.core.metrics.PipelineMetrics;

/**
 * Counts what one loop reports in {@link PipelineMetrics}: records read from the parked topic count as replayed,
 * records sent there as parked, records sent to the dead-letter topic as dead-lettered. Thread-safe.
 */
final class LoopMetrics implements LoopListener {

    private final String loop;
    private final String parkedTopic;
    private final String deadLetterTopic;

    private LoopMetrics(String loop, String parkedTopic, String deadLetterTopic) {
        this.loop = loop;
        this.parkedTopic = parkedTopic;
        this.deadLetterTopic = deadLetterTopic;
    }

    static LoopMetrics of(LoopSettings settings) {
        return new LoopMetrics(settings.name(), settings.parkedTopic(), settings.deadLetterTopic());
    }

    @Override
    public void handled(Duration took) {
        PipelineMetrics.handled(loop, took.toNanos());
    }

    @Override
    public void committed(CommittedBatch batch) {
        PipelineMetrics.committed(loop, batch.inputs(), batch.took().toNanos());
        batch.inputsByTopic().forEach((topic, count) -> {
            PipelineMetrics.processed(loop, topic, count);
            if (topic.equals(parkedTopic)) {
                PipelineMetrics.replayed(topic, count);
            }
        });
        batch.outputsByTopic().forEach((topic, count) -> {
            if (topic.equals(deadLetterTopic)) {
                PipelineMetrics.deadLettered(topic, count);
            } else if (topic.equals(parkedTopic)) {
                PipelineMetrics.parked(topic, count);
            }
        });
    }

    @Override
    public void skipped(ConsumerRecord<byte[], byte[]> record) {
        PipelineMetrics.skipped(loop);
    }
}
