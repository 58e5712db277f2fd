package io.breakwater.launcher;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.breakwater.core.breaker.BreakerFamilies;
import io.breakwater.core.breaker.FleetHealth;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.topic.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code breakwater health [--watch] [--json] [--all]}: every breaker's fleet-wide health as {@code breaker.health}
 * holds it; of a family of per-host breakers, its counts by state and its worst few, unless {@code --all}.
 * A table for people; {@code --json} prints the topic's records by breaker name, exactly as stored; {@code --watch}
 * prints again on every update until Ctrl-C.
 */
@Command(name = "health", sortOptions = false,
        description = {"Every breaker's health across the fleet.", "As breaker.health holds it: the named breakers,"
                + " and of each family of per-host breakers its counts by state and its worst few."})
final class HealthCommand implements Callable<Integer> {

    private static final Duration CATCH_UP = Duration.ofSeconds(15);

    private final Supplier<Settings> settings;
    private final PrintStream out;

    @Option(names = "--watch", description = "print again on every update, until Ctrl-C")
    private boolean watch;

    @Option(names = "--json", description = "the topic's records by breaker name, exactly as stored")
    private boolean json;

    @Option(names = "--all", description = "every breaker of every family (each host's)")
    private boolean all;

    HealthCommand(Supplier<Settings> settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /** @return the exit code */
    @Override
    public Integer call() {
        Settings settings = this.settings.get();
        Topics topics = Topics.from(settings);
        try (FleetHealth fleet = FleetHealth.follow(KafkaSettings.from(settings), topics.breakerHealth(),
                "breakwater-health-cli")) {
            if (!fleet.awaitCaughtUp(CATCH_UP)) {
                out.println("Could not read " + topics.breakerHealth().name() + " from Kafka at "
                        + KafkaSettings.from(settings).bootstrapServers() + " within " + CATCH_UP.toSeconds() + " s.");
                return 1;
            }
            print(fleet.breakers(), json, all, topics.breakerHealth().name(), out);
            if (watch) {
                fleet.onUpdate(health -> print(fleet.breakers(), json, all, topics.breakerHealth().name(), out));
                awaitInterrupt();
            }
            return 0;
        }
    }

    /**
     * Prints the named breakers and, of each family ({@code crawler:<host>}), its counts by state and its
     * {@link BreakerFamilies#WORST_SHOWN} worst members; every breaker with {@code all}.
     */
    static void print(SortedMap<String, BreakerHealth> everyBreaker, boolean json, boolean all, String topic,
                      PrintStream out) {
        SortedMap<String, BreakerHealth> breakers = all ? everyBreaker : shown(everyBreaker);
        if (json) {
            try {
                out.println(EventJson.mapper().writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(breakers));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        Instant now = Clock.systemUTC().instant();
        out.printf("%s at %s%n", topic, now);
        if (breakers.isEmpty()) {
            out.println("  No breaker has reported yet: are a worker and the breaker-state app running?");
            return;
        }
        out.printf("  %-22s %-10s %-9s %-9s %-8s %-24s %s%n", "breaker", "state", "failures", "success", "calls",
                "open instances", "last change");
        for (Map.Entry<String, BreakerHealth> entry : breakers.entrySet()) {
            BreakerHealth health = entry.getValue();
            // Open only because the dependency asked callers to wait: a rate limit, not a failure.
            String state = (health.isCooling() ? "cooling" : health.state().json())
                    + (health.override() == null ? "" : "*");
            out.printf("  %-22s %-10s %-9s %-9s %-8d %-24s %s%n", entry.getKey(), state,
                    health.failureCount() + "/" + health.failureThreshold(),
                    health.successRate() == null ? "-" : health.successRate() + "%", health.totalCalls(),
                    health.openInstances().isEmpty() ? "-" : String.join(",", health.openInstances()),
                    health.lastChangeAt() == null ? "-" : ago(health.lastChangeAt(), now));
        }
        if (!all) {
            families(everyBreaker).forEach((family, members) -> {
                Map<BreakerState, Long> counts = BreakerFamilies.countByState(members, BreakerHealth::state);
                out.printf("  %s: %d breakers (%d closed, %d half-open, %d open); the %d worst shown above;"
                                + " --all lists every one%n", family, members.size(), counts.get(BreakerState.CLOSED),
                        counts.get(BreakerState.HALF_OPEN), counts.get(BreakerState.OPEN),
                        Math.min(members.size(), BreakerFamilies.WORST_SHOWN));
            });
        }
        breakers.forEach((name, health) -> {
            if (!health.coolingInstances().isEmpty() && health.coolingUntil() != null
                    && health.coolingUntil().isAfter(now)) {
                out.printf("  ~ %s: cooling down until %s on %s: the dependency asked callers to wait (a rate limit,"
                        + " not a failure); calls resume by themselves%n", name, health.coolingUntil(),
                        String.join(",", health.coolingInstances()));
            }
            if (health.override() != null) {
                out.printf("  * %s: %s by %s at %s%s%n", name, health.override().mode().json(), health.override().by(),
                        health.override().at(), health.override().reason() == null ? "" : " (" + health.override().reason() + ")");
            }
        });
    }

    private static SortedMap<String, BreakerHealth> shown(SortedMap<String, BreakerHealth> breakers) {
        SortedMap<String, BreakerHealth> shown = new TreeMap<>();
        breakers.forEach((name, health) -> {
            if (!BreakerFamilies.inFamily(name)) {
                shown.put(name, health);
            }
        });
        families(breakers).values().forEach(members -> BreakerFamilies.worst(members, BreakerHealth::state,
                        BreakerHealth::failureCount, BreakerHealth::breaker, BreakerFamilies.WORST_SHOWN)
                .forEach(health -> shown.put(health.breaker(), health)));
        return shown;
    }

    private static SortedMap<String, List<BreakerHealth>> families(SortedMap<String, BreakerHealth> breakers) {
        SortedMap<String, List<BreakerHealth>> families = new TreeMap<>();
        breakers.forEach((name, health) -> BreakerFamilies.family(name).ifPresent(family ->
                families.computeIfAbsent(family, ignored -> new ArrayList<>()).add(health)));
        return families;
    }

    private static String ago(Instant then, Instant now) {
        long seconds = Math.max(0, Duration.between(then, now).toSeconds());
        return seconds < 120 ? seconds + " s ago" : seconds < 7200 ? seconds / 60 + " min ago" : then.toString();
    }

    private static void awaitInterrupt() {
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
