package io.breakwater.core.topic;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import io.breakwater.core.config.Settings;
import io.breakwater.core.crawl.CrawlJob;
import io.breakwater.core.crawl.CrawledPage;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.health.BreakerEvent;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerOverride;

/**
 * The catalogue of Breakwater's topics: each name with its serdes and creation settings. Names come from
 * {@code topic.<role>} settings ({@code BW_TOPIC_QUESTIONS}, ...), each behind an optional {@code topic.prefix};
 * partitions from {@code topic.partitions} (default {@value #DEFAULT_PARTITIONS}) and copies from
 * {@code topic.replication.factor} (default {@value #DEFAULT_REPLICATION_FACTOR}); with three copies or more,
 * {@code min.insync.replicas} is 2 unless {@code topic.min.insync.replicas} says otherwise, so an acknowledged record
 * is on two brokers. Parked and dead-letter topics keep their records 14 days ({@code topic.parked.retention.hours},
 * {@code topic.dlq.retention.hours}): an outage or an operator's holiday must not delete work. Immutable.
 *
 * @param questions {@code qa.questions}: questions to answer, keyed by id
 * @param answers {@code qa.answers}: answered and failed questions, keyed by id
 * @param parkedQuestions {@code qa.questions.parked}: questions waiting for the LLM to recover, as they came,
 *     with why and until when in headers
 * @param questionsDeadLetter {@code qa.questions.dlq}: question records that cannot be processed, or failed too
 *     often, as they came, with the reason in headers
 * @param deadLetterReplays {@code breakwater.dlq.replays}: which dead letters an operator has put back, keyed by
 *     {@code topic/partition/offset}, so that no dead letter is replayed twice; compacted
 * @param breakerEvents {@code breaker.events}: every instance's breaker transitions, failure counts and snapshots,
 *     keyed by breaker name; kept a day
 * @param breakerHealth {@code breaker.health}: each breaker's health across the fleet, keyed by breaker name;
 *     compacted, written by the breaker-state app
 * @param breakerControl {@code breaker.control}: operators' overrides, keyed by breaker name; compacted
 * @param breakerEventsDeadLetter {@code breaker.events.dlq}: breaker events the breaker-state app cannot read, as
 *     they came, with the reason in headers
 * @param crawlJobs {@code crawl.jobs}: pages to crawl, keyed by normalized URL
 * @param crawlJobsParked {@code crawl.jobs.parked}: crawl jobs waiting for their host to recover, as they came, with
 *     why and until when in headers
 * @param crawlJobsDeadLetter {@code crawl.jobs.dlq}: crawl job records that cannot be processed, or failed too often
 * @param crawlPages {@code crawl.pages}: crawled pages' text, keyed by normalized URL; compacted
 */
public record Topics(Topic<String, QuestionEvent> questions,
                     Topic<String, AnswerEvent> answers,
                     Topic<byte[], byte[]> parkedQuestions,
                     Topic<byte[], byte[]> questionsDeadLetter,
                     Topic<String, String> deadLetterReplays,
                     Topic<String, BreakerEvent> breakerEvents,
                     Topic<String, BreakerHealth> breakerHealth,
                     Topic<String, BreakerOverride> breakerControl,
                     Topic<byte[], byte[]> breakerEventsDeadLetter,
                     Topic<String, CrawlJob> crawlJobs,
                     Topic<byte[], byte[]> crawlJobsParked,
                     Topic<byte[], byte[]> crawlJobsDeadLetter,
                     Topic<String, CrawledPage> crawlPages) {

    public static final int DEFAULT_PARTITIONS = 3;
    public static final int DEFAULT_REPLICATION_FACTOR = 1;
    private static final long ONE_DAY_MS = 24L * 60 * 60 * 1000;
    private static final long ONE_HOUR_MS = 60L * 60 * 1000;

    public static Topics from(Settings settings) {
        String prefix = settings.string("topic.prefix", "");
        int partitions = settings.integer("topic.partitions", DEFAULT_PARTITIONS);
        int replicas = settings.integer("topic.replication.factor", DEFAULT_REPLICATION_FACTOR);
        if (partitions < 1) {
            throw Settings.invalid("topic.partitions", partitions, "at least 1");
        }
        if (replicas < 1 || replicas > Short.MAX_VALUE) {
            throw Settings.invalid("topic.replication.factor", replicas, "at least 1");
        }
        int minInSync = settings.integer("topic.min.insync.replicas", replicas >= 3 ? 2 : 1);
        if (minInSync < 1 || minInSync > replicas) {
            throw Settings.invalid("topic.min.insync.replicas", minInSync, "from 1 to topic.replication.factor ("
                    + replicas + ")");
        }
        TopicSpec spec = new TopicSpec(partitions, (short) replicas, Map.of());
        if (minInSync > 1) {
            spec = spec.withConfig("min.insync.replicas", Integer.toString(minInSync));
        }
        TopicSpec parked = spec.withConfig("retention.ms",
                Long.toString(ONE_HOUR_MS * hours(settings, "topic.parked.retention.hours")));
        TopicSpec deadLetters = spec.withConfig("retention.ms",
                Long.toString(ONE_HOUR_MS * hours(settings, "topic.dlq.retention.hours")));
        Serde<String> ids = Serdes.String();
        return new Topics(
                new Topic<>(name(settings, prefix, "questions", "qa.questions"), ids,
                        new JsonSerde<>(QuestionEvent.class), spec),
                new Topic<>(name(settings, prefix, "answers", "qa.answers"), ids,
                        new JsonSerde<>(AnswerEvent.class), spec),
                new Topic<>(name(settings, prefix, "questions.parked", "qa.questions.parked"), Serdes.ByteArray(),
                        Serdes.ByteArray(), parked),
                new Topic<>(name(settings, prefix, "questions.dlq", "qa.questions.dlq"), Serdes.ByteArray(),
                        Serdes.ByteArray(), deadLetters),
                new Topic<>(name(settings, prefix, "dlq.replays", "breakwater.dlq.replays"), ids, Serdes.String(),
                        spec.withConfig("cleanup.policy", "compact")),
                new Topic<>(name(settings, prefix, "breaker.events", "breaker.events"), ids,
                        new JsonSerde<>(BreakerEvent.class), spec.withConfig("retention.ms", Long.toString(ONE_DAY_MS))),
                // The breaker topics are co-partitioned (the breaker-state app reads events and overrides together).
                new Topic<>(name(settings, prefix, "breaker.health", "breaker.health"), ids,
                        new JsonSerde<>(BreakerHealth.class), compacted(spec)),
                new Topic<>(name(settings, prefix, "breaker.control", "breaker.control"), ids,
                        new JsonSerde<>(BreakerOverride.class), compacted(spec)),
                new Topic<>(name(settings, prefix, "breaker.events.dlq", "breaker.events.dlq"), Serdes.ByteArray(),
                        Serdes.ByteArray(), deadLetters),
                new Topic<>(name(settings, prefix, "crawl.jobs", "crawl.jobs"), ids, new JsonSerde<>(CrawlJob.class), spec),
                new Topic<>(name(settings, prefix, "crawl.jobs.parked", "crawl.jobs.parked"), Serdes.ByteArray(),
                        Serdes.ByteArray(), parked),
                new Topic<>(name(settings, prefix, "crawl.jobs.dlq", "crawl.jobs.dlq"), Serdes.ByteArray(),
                        Serdes.ByteArray(), deadLetters),
                // Pages can be large: allow records up to the 2 MB body limit's worth of text.
                new Topic<>(name(settings, prefix, "crawl.pages", "crawl.pages"), ids, new JsonSerde<>(CrawledPage.class),
                        compacted(spec).withConfig("max.message.bytes", Integer.toString(2 * 1024 * 1024))));
    }

    private static long hours(Settings settings, String key) {
        int hours = settings.integer(key, 14 * 24);
        if (hours < 1) {
            throw Settings.invalid(key, hours, "at least 1");
        }
        return hours;
    }

    /** Compacted, and compacted soon: readers that start from the beginning should find little but the latest. */
    private static TopicSpec compacted(TopicSpec spec) {
        return spec.withConfig("cleanup.policy", "compact").withConfig("segment.ms", Long.toString(ONE_HOUR_MS))
                .withConfig("min.cleanable.dirty.ratio", "0.1");
    }

    /**
     * The topic whose work a dead-letter topic holds, where its letters may be put back: {@code qa.questions} for
     * {@code qa.questions.dlq} (parked questions too start over there), {@code crawl.jobs} for {@code crawl.jobs.dlq}.
     * Empty for any other topic: breaker events are not work to replay.
     */
    public java.util.Optional<String> homeOf(String deadLetterTopic) {
        if (deadLetterTopic.equals(questionsDeadLetter.name())) {
            return java.util.Optional.of(questions.name());
        }
        if (deadLetterTopic.equals(crawlJobsDeadLetter.name())) {
            return java.util.Optional.of(crawlJobs.name());
        }
        return java.util.Optional.empty();
    }

    /** Every topic, for creation at start. */
    public List<Topic<?, ?>> all() {
        return List.of(questions, answers, parkedQuestions, questionsDeadLetter, deadLetterReplays, breakerEvents,
                breakerHealth, breakerControl, breakerEventsDeadLetter, crawlJobs, crawlJobsParked, crawlJobsDeadLetter,
                crawlPages);
    }

    private static String name(Settings settings, String prefix, String role, String defaultName) {
        return prefix + settings.string("topic." + role, defaultName);
    }
}
