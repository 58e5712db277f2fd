package io.breakwater.qa;

import java.time.Duration;

import io.breakwater.core.config.Settings;
import io.breakwater.core.config.WorkerGroups;
import io.breakwater.core.pipeline.LoopSettings;
import io.breakwater.core.worker.WorkerSettings;

/**
 * How the QA worker consumes.
 *
 * @param groupId {@code qa.group} ({@code BW_QA_GROUP}): instances with the same group share the questions
 * @param concurrency {@code qa.concurrency}: the most LLM calls in flight at once per deployment and instance, and
 *     questions handled at once per loop, default {@value #DEFAULT_CONCURRENCY}: a ceiling, under which each
 *     deployment's limit adapts to what it takes ({@link io.breakwater.core.limit.CallLimiter})
 * @param maxInFlight {@code qa.max.in.flight}: questions read but not yet committed, default
 *     {@value #DEFAULT_MAX_IN_FLIGHT}
 * @param commitInterval {@code qa.commit.interval.seconds}: the longest an answer waits for its transaction
 * @param maxRecordBytes {@code qa.max.record.bytes}: larger question records go to the dead-letter topic unread
 * @param contextPassages {@code qa.context.passages}: passages of crawled pages given to the answerer, default
 *     {@value #DEFAULT_CONTEXT_PASSAGES}
 */
public record QaWorkerSettings(String groupId, int concurrency, int maxInFlight, Duration commitInterval,
                               int maxRecordBytes, int contextPassages) {

    public static final int DEFAULT_CONCURRENCY = 512;
    public static final int DEFAULT_MAX_IN_FLIGHT = 1000;
    public static final int DEFAULT_MAX_RECORD_BYTES = 64 * 1024;
    public static final int DEFAULT_CONTEXT_PASSAGES = 4;

    public QaWorkerSettings {
        if (concurrency < 1) {
            throw Settings.invalid("qa.concurrency", concurrency, "at least 1");
        }
        if (maxInFlight < concurrency) {
            throw Settings.invalid("qa.max.in.flight", maxInFlight, "at least qa.concurrency (" + concurrency + ")");
        }
        if (contextPassages < 0) {
            throw Settings.invalid("qa.context.passages", contextPassages, "0 or more");
        }
        if (maxRecordBytes < 1024) {
            throw Settings.invalid("qa.max.record.bytes", maxRecordBytes, "at least 1024");
        }
    }

    /** The figures the worker runtime's loops take. */
    public WorkerSettings loops() {
        return new WorkerSettings(groupId, concurrency, maxInFlight, commitInterval, maxRecordBytes);
    }

    public static QaWorkerSettings from(Settings settings) {
        return new QaWorkerSettings(
                WorkerGroups.qa(settings),
                settings.integer("qa.concurrency", DEFAULT_CONCURRENCY),
                settings.integer("qa.max.in.flight", DEFAULT_MAX_IN_FLIGHT),
                settings.seconds("qa.commit.interval.seconds", LoopSettings.DEFAULT_COMMIT_INTERVAL),
                settings.integer("qa.max.record.bytes", DEFAULT_MAX_RECORD_BYTES),
                settings.integer("qa.context.passages", DEFAULT_CONTEXT_PASSAGES));
    }
}
