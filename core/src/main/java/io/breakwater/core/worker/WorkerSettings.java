package io.breakwater.core.worker;

import java.time.Duration;
import java.util.Objects;


/**
 * The figures every worker's loops need, whatever its work.
 *
 * @param groupId the input's consumer group; the replay loop's is {@code <groupId>-replay}
 * @param concurrency records handled at once, per loop
 * @param maxInFlight records in hand at once (handled, or waiting for their commit), per loop
 * @param commitInterval how long a loop gathers handled records into one transaction
 * @param maxRecordBytes larger input records are dead-lettered unread
 */
public record WorkerSettings(String groupId, int concurrency, int maxInFlight, Duration commitInterval,
                             int maxRecordBytes) {

    public WorkerSettings {
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(commitInterval, "commitInterval");
    }
}
