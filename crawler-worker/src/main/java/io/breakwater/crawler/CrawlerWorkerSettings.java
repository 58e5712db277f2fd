package io.breakwater.crawler;

import java.time.Duration;

import io.breakwater.core.config.Settings;
import io.breakwater.core.config.WorkerGroups;
import io.breakwater.core.worker.WorkerSettings;

/**
 * The crawler worker's loop settings.
 *
 * @param groupId {@code crawler.group} (default {@code breakwater-crawler-worker}): the workers' consumer group
 * @param concurrency {@code crawler.concurrency} (default 8): jobs fetched at once per worker (one host is still
 *     asked once per politeness gap)
 * @param maxInFlight {@code crawler.max.in.flight} (default 200): jobs read but not yet committed
 * @param commitInterval {@code crawler.commit.interval.seconds} (default 0.1)
 * @param maxRecordBytes {@code crawler.max.record.bytes} (default 16384): larger job records are dead-lettered
 */
public record CrawlerWorkerSettings(String groupId, int concurrency, int maxInFlight, Duration commitInterval,
                                    int maxRecordBytes) {

    /** The figures the worker runtime's loops take. */
    public WorkerSettings loops() {
        return new WorkerSettings(groupId, concurrency, maxInFlight, commitInterval, maxRecordBytes);
    }

    public static CrawlerWorkerSettings from(Settings settings) {
        CrawlerWorkerSettings worker = new CrawlerWorkerSettings(
                WorkerGroups.crawler(settings),
                settings.integer("crawler.concurrency", 8),
                settings.integer("crawler.max.in.flight", 200),
                settings.seconds("crawler.commit.interval.seconds", Duration.ofMillis(100)),
                settings.integer("crawler.max.record.bytes", 16 * 1024));
        if (worker.concurrency < 1) {
            throw Settings.invalid("crawler.concurrency", worker.concurrency, "at least 1");
        }
        if (worker.maxInFlight < worker.concurrency) {
            throw Settings.invalid("crawler.max.in.flight", worker.maxInFlight, "at least crawler.concurrency");
        }
        return worker;
    }
}
