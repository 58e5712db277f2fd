package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How an {@link ExactlyOnceLoop} consumes, handles and commits.
 *
 * @param name names the loop's threads and log lines
 * @param inputTopics the topics it consumes
 * @param deadLetterTopic where records go whose handling threw
 * @param groupId its consumer group: instances with the same group share the partitions
 * @param transactionalId stable per instance: a restarted instance aborts what its predecessor left open
 * @param concurrency records handled at once, each on its own worker thread
 * @param commitInterval the longest a handled record waits for its transaction while others are still in hand
 * @param parkedTopic where the handler parks work, if it does, or null. Records read from it keep their Breakwater
 *     headers (the pipeline wrote them; from any other topic they are distrusted); a loop that reads it alone sends a
 *     held record to its end instead of holding the partition; and the loop's metrics count records sent there as
 *     parked, records read from there as replayed
 */
public record LoopSettings(String name, List<String> inputTopics, String deadLetterTopic, String groupId,
                           String transactionalId, int concurrency, Duration commitInterval, String parkedTopic) {

    public static final int DEFAULT_CONCURRENCY = 8;
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(100);

    public LoopSettings {
        Objects.requireNonNull(name, "name");
        inputTopics = List.copyOf(inputTopics);
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(transactionalId, "transactionalId");
        Objects.requireNonNull(commitInterval, "commitInterval");
        if (inputTopics.isEmpty()) {
            throw new IllegalArgumentException("a loop needs at least one input topic");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1 but was " + concurrency);
        }
    }

    /** A loop that parks nothing. */
    public LoopSettings(String name, List<String> inputTopics, String deadLetterTopic, String groupId,
                        String transactionalId, int concurrency, Duration commitInterval) {
        this(name, inputTopics, deadLetterTopic, groupId, transactionalId, concurrency, commitInterval, null);
    }
}
