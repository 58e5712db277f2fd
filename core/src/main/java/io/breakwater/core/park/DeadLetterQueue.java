package io.breakwater.core.park;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.topic.Topic;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topics;

/**
 * What operators do with a dead-letter topic: see what is there and why, and put letters back on the topic their
 * work first came from once the cause is fixed. Each letter is put back at most once: the replayed record and a
 * marker on the replays topic commit in one transaction, and letters with a marker are skipped. Not thread-safe.
 */
public final class DeadLetterQueue {

    private static final Duration POLL = Duration.ofMillis(200);
    /** How long a read waits for transactions still open on the topic to end. */
    private static final Duration SETTLE = Duration.ofSeconds(30);
    private static final String NO_REASON = "(none)";

    /** One dead letter, as operators read it. */
    public record Letter(String topic, int partition, long offset, String key, String reason, String errorClass,
                         String errorMessage, String originTopic, Instant deadLetteredAt, boolean replayed) {

        String coordinates() {
            return topic + "/" + partition + "/" + offset;
        }
    }

    /** What a dead-letter topic holds: counts by reason, how many were replayed already, and a few examples. */
    public record Summary(String topic, int total, int replayed, Map<String, Integer> byReason, List<Letter> examples) {
    }

    /**
     * What a replay did.
     *
     * @param withoutOrigin letters skipped because they name no origin, or one that is not their dead-letter
     *     topic's home: a header a producer forged must not send work (or an override) anywhere else
     * @param withoutValue letters skipped because their value was left out to make them fit: nothing to put back
     */
    public record Replay(int replayed, int alreadyReplayed, int notMatching, int beyondLimit, int withoutOrigin,
                         int withoutValue, Map<String, Integer> byOriginTopic) {
    }

    private final KafkaSettings kafka;
    private final Topics topics;
    private final Topic<String, String> replays;
    private final QuestionStore questions;

    /**
     * @param topics the catalogue: which topic each dead-letter topic's letters go back to, and the replays topic
     * @param questions where failed questions are opened again before their letters go back; null if this queue
     *     never replays question letters (crawl jobs need no store)
     */
    public DeadLetterQueue(KafkaSettings kafka, Topics topics, QuestionStore questions) {
        this.kafka = kafka;
        this.topics = topics;
        this.replays = topics.deadLetterReplays();
        this.questions = questions;
    }

    public Summary summarize(String topic, int examples) {
        Set<String> replayed = replayedLetters();
        Map<String, Integer> byReason = new TreeMap<>();
        List<Letter> sample = new ArrayList<>();
        int[] counts = new int[2];
        readAll(topic, record -> {
            Letter letter = letter(record, replayed);
            counts[0]++;
            counts[1] += letter.replayed() ? 1 : 0;
            byReason.merge(letter.reason(), 1, Integer::sum);
            if (sample.size() < examples) {
                sample.add(letter);
            }
        });
        return new Summary(topic, counts[0], counts[1], byReason, sample);
    }

    /**
     * Puts letters back on their origin topics with their Breakwater headers (park count, errors) removed, so the
     * work starts afresh, and {@value WorkHeaders#REPLAYED_FROM} naming the letter (for the operator's eyes). The
     * questions among them that ended {@code failed} are first opened again in the store ({@link QuestionStore#reopen}),
     * which is what tells a worker to answer them afresh: a header alone could be sent by anyone. Should the replay
     * fail after that, running it again puts the same letters back.
     *
     * @param reason only letters with this reason, if given
     * @param limit at most this many
     */
    public Replay replay(String topic, Optional<String> reason, int limit) {
        String home = topics.homeOf(topic).orElseThrow(() -> new IllegalArgumentException(topic
                + " is not a dead-letter topic whose letters can be put back (those of "
                + topics.questions().name() + " and " + topics.crawlJobs().name() + " can)"));
        Set<String> replayed = replayedLetters();
        List<ConsumerRecord<byte[], byte[]>> chosen = new ArrayList<>();
        int[] skipped = new int[5];
        readAll(topic, record -> {
            Letter letter = letter(record, replayed);
            if (letter.replayed()) {
                skipped[0]++;
            } else if (record.value() == null) {
                // Its value was left out to make it fit (bw.value.dropped): there is nothing to put back.
                skipped[4]++;
            } else if (reason.isPresent() && !reason.get().equals(letter.reason())) {
                skipped[1]++;
            } else if (!home.equals(letter.originTopic())) {
                skipped[3]++;
            } else if (chosen.size() >= limit) {
                skipped[2]++;
            } else {
                chosen.add(record);
            }
        });
        Map<String, Integer> byOrigin = new TreeMap<>();
        Map<String, String> reopened = Map.of();
        if (!chosen.isEmpty() && home.equals(topics.questions().name())) {
            if (questions == null) {
                throw new IllegalStateException("replaying " + topic + " needs the question store, to open the failed"
                        + " questions again");
            }
            // Only a letter that is a whole, valid question opens its question again: a malformed letter's id (or a
            // key) is whatever its producer wrote, and put back it would only be dead-lettered again.
            Map<String, String> texts = new java.util.LinkedHashMap<>();
            for (ConsumerRecord<byte[], byte[]> record : chosen) {
                question(record).ifPresent(question -> texts.putIfAbsent(question.id(), question.question()));
            }
            reopened = questions.reopen(texts, "put back from " + topic + " by an operator; it will be answered afresh");
        }
        if (!chosen.isEmpty()) {
            try {
                send(chosen, byOrigin);
            } catch (ReplayOutcomeUnknown e) {
                throw e;
            } catch (RuntimeException e) {
                // Nothing went back: the questions opened for it end as they were, not queued with nothing coming.
                if (!reopened.isEmpty()) {
                    try {
                        questions.closeAgain(reopened);
                    } catch (RuntimeException undo) {
                        e.addSuppressed(new IllegalStateException("and these questions stay queued: "
                                + reopened.keySet() + "; replay again to put their letters back", undo));
                    }
                }
                throw e;
            }
        }
        return new Replay(chosen.size(), skipped[0], skipped[1], skipped[2], skipped[3], skipped[4], byOrigin);
    }

    /**
     * Puts the chosen letters back, each with its marker on the replays topic, in one transaction.
     *
     * @throws ReplayOutcomeUnknown if the commit was sent but its outcome is unknown (it timed out or was interrupted,
     *     or the producer failed to close after it)
     */
    private void send(List<ConsumerRecord<byte[], byte[]>> chosen, Map<String, Integer> byOrigin) {
        String transactionalId = "breakwater-dlq-replay-" + chosen.get(0).topic();
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                KafkaClients.transactionalProducer(kafka, transactionalId, transactionalId),
                new ByteArraySerializer(), new ByteArraySerializer());
        boolean committing = false;
        try {
            producer.initTransactions();
            producer.beginTransaction();
            for (ConsumerRecord<byte[], byte[]> record : chosen) {
                String origin = WorkHeaders.text(record.headers(), WorkHeaders.ORIGIN_TOPIC);
                String coordinates = record.topic() + "/" + record.partition() + "/" + record.offset();
                Headers headers = WorkHeaders.copy(record.headers(), false);
                WorkHeaders.set(headers, WorkHeaders.REPLAYED_FROM, coordinates);
                producer.send(new ProducerRecord<>(origin, null, record.key(), record.value(), headers));
                producer.send(replays.serialized(coordinates, Instant.now().toString()));
                byOrigin.merge(origin, 1, Integer::sum);
            }
            committing = true;
            producer.commitTransaction();
        } catch (org.apache.kafka.common.errors.TimeoutException | org.apache.kafka.common.errors.InterruptException e) {
            if (committing) {
                throw new ReplayOutcomeUnknown(e);
            }
            throw e;
        } finally {
            closeQuietly(producer);
        }
    }

    /**
     * Closes within a bound. A failure to close changes nothing the replay did: its commit went through, or the error
     * that ended it is the one to report.
     */
    private static void closeQuietly(KafkaProducer<byte[], byte[]> producer) {
        try {
            producer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            // see above
        }
    }

    /** The replay's commit timed out: it may have gone through, so the questions opened for it stay open. */
    public static final class ReplayOutcomeUnknown extends IllegalStateException {
        ReplayOutcomeUnknown(Throwable cause) {
            super("the replay's commit did not answer in time and may or may not have gone through (" + cause
                    + "); run `dlq list` to see which letters are marked replayed, and replay again: letters already"
                    + " put back are skipped", cause);
        }
    }

    /** The question a letter holds, if its value is a whole, valid one. */
    private static Optional<QuestionEvent> question(ConsumerRecord<byte[], byte[]> record) {
        try {
            return Optional.of(EventJson.decode(record.value(), QuestionEvent.class));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private Set<String> replayedLetters() {
        Set<String> replayed = new HashSet<>();
        readAll(replays.name(), record -> replayed.add(new String(record.key(), StandardCharsets.UTF_8)));
        return replayed;
    }

    private static Letter letter(ConsumerRecord<byte[], byte[]> record, Set<String> replayed) {
        Headers headers = record.headers();
        String reason = WorkHeaders.text(headers, WorkHeaders.REASON);
        Letter letter = new Letter(record.topic(), record.partition(), record.offset(),
                record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                reason == null ? NO_REASON : reason,
                WorkHeaders.text(headers, WorkHeaders.ERROR_CLASS),
                WorkHeaders.text(headers, WorkHeaders.ERROR_MESSAGE),
                WorkHeaders.text(headers, WorkHeaders.ORIGIN_TOPIC),
                WorkHeaders.instant(headers, WorkHeaders.DEAD_LETTERED_AT).orElse(null),
                false);
        return replayed.contains(letter.coordinates())
                ? new Letter(letter.topic(), letter.partition(), letter.offset(), letter.key(), letter.reason(),
                        letter.errorClass(), letter.errorMessage(), letter.originTopic(), letter.deadLetteredAt(), true)
                : letter;
    }

    private static Map<TopicPartition, Long> logEnds(Admin admin, List<TopicPartition> partitions) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(partition -> latest.put(partition, OffsetSpec.latest()));
        try {
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all()
                    .get(SETTLE.toSeconds(), TimeUnit.SECONDS)
                    .forEach((partition, info) -> ends.put(partition, info.offset()));
            return ends;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot read the end of " + partitions + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    /**
     * Reads every committed record the topic holds now, from the beginning, without a consumer group. "Now" is the
     * log's end, not the last stable offset: a replay that has just committed may not have its transaction markers
     * written yet, and stopping at the stable offset would miss its records (and replay a letter twice).
     */
    private void readAll(String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                KafkaClients.transactionalConsumer(kafka, "breakwater-dlq-" + UUID.randomUUID(), "unused"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
             Admin admin = KafkaClients.createAdmin(kafka, "breakwater-dlq-offsets")) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic);
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalArgumentException("There is no topic " + topic);
            }
            List<TopicPartition> assigned = partitions.stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            Map<TopicPartition, Long> end = logEnds(admin, assigned);
            long deadline = System.nanoTime() + SETTLE.toNanos();
            while (assigned.stream().anyMatch(partition -> consumer.position(partition) < end.get(partition))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("An open transaction on " + topic + " has not ended within "
                            + SETTLE.toSeconds() + " s (a replay still running?); try again");
                }
                consumer.poll(POLL).forEach(each);
            }
        }
    }
}
