package io.breakwater.core.worker;

import java.util.List;

import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.park.ParkSettings;
import io.breakwater.core.pipeline.Admission;
import io.breakwater.core.pipeline.RecordHandler;
import io.breakwater.core.topic.Topics;

/**
 * What makes one kind of worker: its topics, its settings, the dependencies it calls and how its handler is made.
 * {@link WorkerRuntime} does the rest the same way for every worker: topics, identity, breakers and the fleet,
 * MongoDB, parking, the input and replay loops, and the close order.
 *
 * @param <R> the handler's result
 */
public interface WorkerDefinition<R> {

    /** Names the worker's loops, threads and clients: {@code qa-worker}. */
    String name();

    /** Names the worker for people, in its start-up log line: {@code QA worker}. */
    String title();

    /** The prefix of its park settings: {@code qa} reads {@code qa.park.*} ({@code BW_QA_PARK_*}). */
    String settingsPrefix();

    /**
     * How fast parked work is replayed unless {@code <prefix>.replay.rate.per.second} says otherwise: infinite where
     * something else paces the replay (an adaptive limit of the dependency's calls).
     */
    default double defaultReplayRatePerSecond() {
        return ParkSettings.DEFAULT_REPLAY_RATE_PER_SECOND;
    }

    /** Its loops' figures, read (and validated) from {@code settings}. */
    WorkerSettings workerSettings(Settings settings);

    /** The topics it consumes, parks to and dead-letters to. */
    WorkTopics topics(Topics topics);

    /**
     * The dependencies it calls ({@code Dependencies}): the runtime makes a breaker for each, with the figures the
     * settings give, and shares them with the fleet. Breakers made later (one per crawled host) join through
     * {@link WorkerContext#fleet}.
     */
    List<BreakerSettings> dependencies();

    /**
     * Makes the handler and the replay's admission from the shared parts. What it opens and returns in
     * {@link Parts#resources} is closed after the loops; what it opened before throwing, it closes itself.
     */
    Parts<R> assemble(WorkerContext context);

    /**
     * @param input the topic the worker consumes
     * @param parked where work waits while a dependency is unavailable
     * @param deadLetter where work that cannot be handled goes for an operator
     */
    record WorkTopics(String input, String parked, String deadLetter) {
    }

    /**
     * @param handler handles every record, new or replayed
     * @param replayAdmission when parked records may be replayed
     * @param resources closed, in reverse order, once the loops have stopped
     * @param description what the worker works with, ending its start-up log line ("answering with ...")
     */
    record Parts<R>(RecordHandler<R> handler, Admission replayAdmission, List<AutoCloseable> resources,
                    String description) {
        public Parts {
            resources = List.copyOf(resources);
        }
    }
}
