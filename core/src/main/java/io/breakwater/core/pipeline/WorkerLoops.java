package io.breakwater.core.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.WorkerGroups;

/**
 * A worker's two loops over one kind of work: one consumes the input topic (group {@code groupId}), the other
 * replays the parked topic (group {@code groupId-replay}) as its admission allows; both with the same handler,
 * dead-letter topic and transactional ids stable per instance. Stops both on close.
 *
 * @param <R> the handler's result
 */
public final class WorkerLoops<R> implements AutoCloseable {

    /**
     * @param name names the loops ({@code name} and {@code name-replay}) in logs and thread names
     * @param instanceId this instance's stable id: its transactional ids are {@code groupId-instanceId} and
     *     {@code groupId-replay-instanceId}
     */
    public record Spec(String name, String inputTopic, String parkedTopic, String deadLetterTopic, String groupId,
                       String instanceId, int concurrency, int maxInFlight, Duration commitInterval) {
    }

    private final List<ExactlyOnceLoop<R>> loops;

    private WorkerLoops(List<ExactlyOnceLoop<R>> loops) {
        this.loops = loops;
    }

    /** Starts both loops; if the second cannot start, stops the first again. */
    public static <R> WorkerLoops<R> start(Spec spec, KafkaSettings kafka, RecordHandler<R> handler,
                                           Admission replayAdmission, Consumer<Throwable> onFailure) {
        LoopSettings input = new LoopSettings(spec.name(), List.of(spec.inputTopic()), spec.deadLetterTopic(),
                spec.groupId(), spec.groupId() + "-" + spec.instanceId(), spec.concurrency(), spec.commitInterval(),
                spec.parkedTopic());
        String replayGroup = WorkerGroups.replayOf(spec.groupId());
        LoopSettings replay = new LoopSettings(spec.name() + "-replay", List.of(spec.parkedTopic()),
                spec.deadLetterTopic(), replayGroup, replayGroup + "-" + spec.instanceId(),
                spec.concurrency(), spec.commitInterval(), spec.parkedTopic());
        List<ExactlyOnceLoop<R>> loops = new ArrayList<>();
        try {
            loops.add(ExactlyOnceLoop.start(input, kafka, handler, Admission.upTo(spec.maxInFlight()), onFailure));
            loops.add(ExactlyOnceLoop.start(replay, kafka, handler, replayAdmission, onFailure));
            return new WorkerLoops<>(List.copyOf(loops));
        } catch (RuntimeException e) {
            loops.forEach(ExactlyOnceLoop::close);
            throw e;
        }
    }

    public boolean isRunning() {
        return loops.stream().allMatch(ExactlyOnceLoop::isRunning);
    }

    @Override
    public void close() {
        loops.forEach(ExactlyOnceLoop::close);
    }
}
