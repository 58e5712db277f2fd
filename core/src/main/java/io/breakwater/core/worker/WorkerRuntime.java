package io.breakwater.core.worker;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.client.MongoClient;

import io.breakwater.core.breaker.BreakerFleet;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.BreakerSettings;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.metrics.ProcessMetrics;
import io.breakwater.core.park.ParkSettings;
import io.breakwater.core.park.Parking;
import io.breakwater.core.park.RateLimiter;
import io.breakwater.core.pipeline.WorkerLoops;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;

/**
 * Runs a worker from its {@link WorkerDefinition}, the same way for every worker: creates the missing topics, makes a
 * breaker per dependency and joins the fleet (its view first, so a restarted worker starts where the fleet is),
 * connects to MongoDB, parks to the definition's topics, starts the input and replay loops, and closes it all in
 * reverse on {@link #close}. Thread-safe for reading; close once.
 *
 * @param <R> the handler's result
 */
public final class WorkerRuntime<R> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);

    private final WorkerLoops<R> loops;
    private final List<AutoCloseable> resources;
    private final BreakerFleet fleet;
    private final MongoClient mongo;
    private final Map<String, BreakerPolicy> breakers;
    private final String description;

    private WorkerRuntime(WorkerLoops<R> loops, List<AutoCloseable> resources, BreakerFleet fleet, MongoClient mongo,
                          Map<String, BreakerPolicy> breakers, String description) {
        this.loops = loops;
        this.resources = resources;
        this.fleet = fleet;
        this.mongo = mongo;
        this.breakers = breakers;
        this.description = description;
    }

    /**
     * Starts the worker {@code definition} describes.
     *
     * @param onFailure called if a loop stops on an error it cannot recover from
     * @throws io.breakwater.core.config.ConfigException if a setting is wrong
     */
    public static <R> WorkerRuntime<R> start(Settings settings, WorkerDefinition<R> definition,
                                             Consumer<Throwable> onFailure) {
        // Every setting first: a bad one stops the start before anything connects.
        KafkaSettings kafka = KafkaSettings.from(settings);
        MongoSettings mongoSettings = MongoSettings.from(settings);
        Topics topics = Topics.from(settings);
        WorkerSettings worker = definition.workerSettings(settings);
        FleetSettings fleetSettings = FleetSettings.from(settings);
        ParkSettings park = ParkSettings.from(settings, definition.settingsPrefix(),
                definition.defaultReplayRatePerSecond());
        WorkerDefinition.WorkTopics work = definition.topics(topics);
        String instance = settings.instanceId();
        Clock clock = Clock.systemUTC();
        List<BreakerSettings> figures = definition.dependencies().stream()
                .map(dependency -> BreakerSettings.from(settings, dependency)).toList();
        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-" + definition.name() + "-admin")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        BreakerPolicy.Identity identity = new BreakerPolicy.Identity(instance, clock.instant());
        Map<String, BreakerPolicy> breakers = new LinkedHashMap<>();
        for (BreakerSettings dependency : figures) {
            breakers.put(dependency.name(), new BreakerPolicy(dependency, identity, fleetSettings.share(),
                    fleetSettings.latencyWindow(), clock));
        }
        BreakerFleet fleet = BreakerFleet.join(kafka, topics, fleetSettings, instance,
                "breakwater-" + definition.settingsPrefix(), List.copyOf(breakers.values()),
                ProcessMetrics.fleetMembers());
        MongoClient mongo = null;
        WorkerDefinition.Parts<R> parts = null;
        try {
            mongo = MongoConnections.open(mongoSettings);
            WorkerContext context = new WorkerContext(settings, kafka, topics, worker, fleetSettings, park, clock,
                    identity, breakers, fleet, mongo.getDatabase(mongoSettings.database()),
                    new Parking(work.parked(), work.deadLetter(), park, clock),
                    new RateLimiter(park.replayRatePerSecond(), System::nanoTime));
            parts = definition.assemble(context);
            WorkerLoops<R> loops = WorkerLoops.start(new WorkerLoops.Spec(definition.name(), work.input(),
                            work.parked(), work.deadLetter(), worker.groupId(), instance, worker.concurrency(),
                            worker.maxInFlight(), worker.commitInterval()), kafka, parts.handler(),
                    parts.replayAdmission(), onFailure);
            log.info("{} {} consuming {} as group {}, replaying {} at {}, {}", definition.title(), instance,
                    work.input(), worker.groupId(), work.parked(), park.replayRateDescription(), parts.description());
            return new WorkerRuntime<>(loops, parts.resources(), fleet, mongo, Map.copyOf(breakers),
                    parts.description());
        } catch (RuntimeException | Error e) {
            List<AutoCloseable> opened = new ArrayList<>(parts == null ? List.of() : parts.resources());
            opened.add(0, fleet);
            if (mongo != null) {
                opened.add(0, mongo);
            }
            closeAll(opened);
            throw e;
        }
    }

    /** The breaker of the dependency named {@code name}, if the definition named it. */
    public BreakerPolicy breaker(String name) {
        return breakers.get(name);
    }

    /** What the worker works with, as its definition described it. */
    public String description() {
        return description;
    }

    public boolean isRunning() {
        return loops.isRunning();
    }

    /** Stops the loops first (no record is handled after), then the definition's resources, the fleet and MongoDB. */
    @Override
    public void close() {
        // Each is closed even if one before it fails: a leaked consumer or client outlives the worker.
        List<AutoCloseable> all = new ArrayList<>();
        all.add(mongo);
        all.add(fleet);
        all.addAll(resources);
        all.add(loops);
        closeAll(all);
    }

    /** Closes {@code resources} in reverse order, each even if one before it fails. */
    private static void closeAll(List<AutoCloseable> resources) {
        List<AutoCloseable> reversed = new ArrayList<>(resources);
        java.util.Collections.reverse(reversed);
        for (AutoCloseable resource : reversed) {
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("Closing {} failed: {}", resource, e.toString());
            }
        }
    }
}
