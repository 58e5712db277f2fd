package io.breakwater.ingest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.type.TypeReference;

import io.breakwater.core.breaker.BreakerFamilies;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.FleetHealth;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerState;
import io.javalin.http.Context;

/**
 * {@code GET /health} in the seed's shape, which its users' scripts parse:
 * {@code {"status", "details": {"circuit_breakers": {"all_closed", "open_breakers", "details": {name: {...}}},
 * "kafka", "mongodb"}}}. Breakers come from {@code breaker.health} (the whole fleet, not this process); Kafka and
 * MongoDB from background checks. Families of breakers made per outside name ({@code crawler:<host>}) are
 * summarised in {@code families} (counts by state, the worst few, which alone are in {@code details}), so the
 * answer's size does not grow with the hosts crawled; {@code ?all=true&page=N} lists every breaker, 500 a page.
 * 200 while work can be accepted (Kafka answers), 503 when it cannot. Also
 * {@code /health/live} and {@code /health/ready}, which an open breaker never fails: parking work is not being down.
 */
final class HealthRoutes {

    static final String PATH = "/health";
    /** Breakers per page of {@code /health?all=true}. */
    static final int PAGE_SIZE = 500;
    private static final TypeReference<Map<String, Object>> FIELDS = new TypeReference<>() {
    };

    private final FleetHealth fleet;
    private final DependencyChecks checks;
    private final BreakerPolicy kafkaBreaker;
    private final String healthTopic;

    HealthRoutes(FleetHealth fleet, DependencyChecks checks, BreakerPolicy kafkaBreaker, String healthTopic) {
        this.fleet = fleet;
        this.checks = checks;
        this.kafkaBreaker = kafkaBreaker;
        this.healthTopic = healthTopic;
    }

    void health(Context ctx) {
        boolean everyBreaker = "true".equalsIgnoreCase(ctx.queryParam("all"));
        int page = 1;
        String pageParam = ctx.queryParam("page");
        if (pageParam != null) {
            try {
                page = Integer.parseInt(pageParam.strip());
            } catch (NumberFormatException e) {
                page = 0;
            }
            if (page < 1) {
                ctx.status(400).json(Map.of("error", "page must be a whole number from 1, but was '" + pageParam + "'"));
                return;
            }
        }
        Map<String, BreakerHealth> breakers = fleet.breakers();
        boolean allClosed = breakers.values().stream().allMatch(BreakerHealth::isClosed);
        Map<String, Object> circuitBreakers = circuitBreakers(breakers, everyBreaker, page);
        circuitBreakers.put("source", healthTopic);

        DependencyChecks.Reachability kafka = checks.kafka();
        DependencyChecks.Reachability mongodb = checks.mongodb();
        String status = !kafka.up() ? "unavailable" : allClosed && mongodb.up() ? "healthy" : "degraded";
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("circuit_breakers", circuitBreakers);
        Map<String, Object> kafkaDetails = reachability(kafka, kafka.up() ? "questions are accepted"
                : "questions cannot be accepted until Kafka answers");
        // This instance's own breaker on its producer: while open, POSTs fail at once with 503.
        kafkaDetails.put("breaker", kafkaBreaker.state().json());
        all.put("kafka", kafkaDetails);
        all.put("mongodb", reachability(mongodb, mongodb.up() ? "answers can be read"
                : "answers cannot be read or stored until MongoDB answers; questions are still accepted"));
        body.put("details", all);
        ctx.status(kafka.up() ? 200 : 503).json(body);
    }

    /** Alive while the process serves HTTP: an orchestrator must not restart it for a dependency's outage. */
    void live(Context ctx) {
        ctx.json(Map.of("status", "live"));
    }

    /** Ready while it can accept work, which needs Kafka only: open breakers park work, they do not refuse it. */
    void ready(Context ctx) {
        DependencyChecks.Reachability kafka = checks.kafka();
        if (kafka.up()) {
            ctx.json(Map.of("status", "ready"));
        } else {
            ctx.status(503).json(Map.of("status", "not_ready", "reason", kafka.error()));
        }
    }

    /**
     * The {@code circuit_breakers} part: {@code all_closed} over every breaker; {@code open_breakers} and
     * {@code details} for the named breakers and each family's {@link BreakerFamilies#WORST_SHOWN} worst members;
     * {@code families} with each family's counts by state. With {@code all}, every breaker instead, by name, a
     * page of {@link #PAGE_SIZE} at a time.
     */
    static Map<String, Object> circuitBreakers(Map<String, BreakerHealth> breakers, boolean all, int page) {
        List<BreakerHealth> shown = new ArrayList<>();
        Map<String, List<BreakerHealth>> families = new TreeMap<>();
        breakers.values().forEach(health -> BreakerFamilies.family(health.breaker()).ifPresentOrElse(
                family -> families.computeIfAbsent(family, ignored -> new ArrayList<>()).add(health),
                () -> shown.add(health)));
        Map<String, Object> summaries = new LinkedHashMap<>();
        families.forEach((family, members) -> {
            List<BreakerHealth> worst = BreakerFamilies.worst(members, BreakerHealth::state,
                    BreakerHealth::failureCount, BreakerHealth::breaker, BreakerFamilies.WORST_SHOWN);
            if (!all) {
                shown.addAll(worst);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("total", members.size());
            BreakerFamilies.countByState(members, BreakerHealth::state).forEach((state, count) ->
                    summary.put(state.json(), count));
            summary.put("worst", worst.stream().map(BreakerHealth::breaker).toList());
            summary.put("all", PATH + "?all=true&page=1");
            summaries.put(family, summary);
        });
        Map<String, Object> paging = null;
        if (all) {
            List<BreakerHealth> sorted = new ArrayList<>(new TreeMap<>(breakers).values());
            int from = (int) Math.min(sorted.size(), (long) (page - 1) * PAGE_SIZE);
            shown.clear();
            shown.addAll(sorted.subList(from, Math.min(sorted.size(), from + PAGE_SIZE)));
            paging = new LinkedHashMap<>();
            paging.put("page", page);
            paging.put("page_size", PAGE_SIZE);
            paging.put("breakers", sorted.size());
            paging.put("pages", (sorted.size() + PAGE_SIZE - 1) / PAGE_SIZE);
        }
        List<String> open = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();
        shown.forEach(health -> {
            if (health.state() == BreakerState.OPEN) {
                open.add(health.breaker());
            }
            details.put(health.breaker(), breakerDetails(health));
        });
        Map<String, Object> circuitBreakers = new LinkedHashMap<>();
        circuitBreakers.put("all_closed", breakers.values().stream().allMatch(BreakerHealth::isClosed));
        circuitBreakers.put("open_breakers", open);
        circuitBreakers.put("details", details);
        circuitBreakers.put("families", summaries);
        if (paging != null) {
            circuitBreakers.put("paging", paging);
        }
        return circuitBreakers;
    }

    private static Map<String, Object> breakerDetails(BreakerHealth health) {
        Map<String, Object> fields = EventJson.mapper().convertValue(health, FIELDS);
        fields.remove("schema_version");
        fields.remove("breaker");
        fields.remove("by_instance");
        // The seed's fields first, in its order; the fleet's figures after.
        Map<String, Object> ordered = new LinkedHashMap<>();
        ordered.put("state", fields.remove("state"));
        ordered.put("failure_count", fields.remove("failure_count"));
        ordered.put("opened_at", fields.remove("opened_at"));
        ordered.put("is_closed", fields.remove("is_closed"));
        ordered.put("is_open", fields.remove("is_open"));
        ordered.putAll(fields);
        return ordered;
    }

    private static Map<String, Object> reachability(DependencyChecks.Reachability reachability, String meaning) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("state", reachability.up() ? "up" : "down");
        fields.put("is_up", reachability.up());
        fields.put("meaning", meaning);
        if (reachability.error() != null) {
            fields.put("error", reachability.error());
        }
        fields.put("checked_at", reachability.checkedAt().toString());
        return fields;
    }
}
