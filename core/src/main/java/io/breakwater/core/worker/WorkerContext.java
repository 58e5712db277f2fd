package io.breakwater.core.worker;

import java.time.Clock;
import java.util.Map;
import java.util.Objects;

import com.mongodb.client.MongoDatabase;

import io.breakwater.core.breaker.BreakerFleet;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.park.ParkSettings;
import io.breakwater.core.park.Parking;
import io.breakwater.core.park.RateLimiter;
import io.breakwater.core.topic.Topics;

/**
 * The shared parts a {@link WorkerDefinition} assembles its handler from, made by {@link WorkerRuntime}.
 *
 * @param breakers the breaker of every dependency the definition named, by name
 * @param fleet for breakers made later (one per crawled host): {@link BreakerFleet#add} and {@link BreakerFleet#remove}
 * @param identity this instance, for breakers made later
 * @param database the worker's MongoDB database
 * @param parking parks to the definition's parked topic, dead-letters past the park limit
 * @param replayRate the replay's rate limit ({@code <prefix>.replay.rate.per.second})
 */
public record WorkerContext(Settings settings, KafkaSettings kafka, Topics topics, WorkerSettings worker,
                            FleetSettings fleetSettings, ParkSettings park, Clock clock,
                            BreakerPolicy.Identity identity, Map<String, BreakerPolicy> breakers, BreakerFleet fleet,
                            MongoDatabase database, Parking parking, RateLimiter replayRate) {

    public WorkerContext {
        breakers = Map.copyOf(breakers);
    }

    /**
     * How many threads may call the handler at once: the input loop's and the replay loop's, {@code concurrency}
     * each. A pool the handler calls into needs as many, or its callers queue.
     */
    public int handlerThreads() {
        return 2 * worker.concurrency();
    }

    /** The breaker of {@code dependency}, which the definition must have named in its dependencies. */
    public BreakerPolicy breaker(BreakerSettings dependency) {
        return Objects.requireNonNull(breakers.get(dependency.name()),
                () -> "no breaker " + dependency.name() + ": name it in the definition's dependencies");
    }
}
