package io.breakwater.ingest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;

import io.breakwater.core.breaker.BreakerHealth;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.BreakerState;
import io.breakwater.core.breaker.FleetHealth;
import io.breakwater.core.event.EventJson;
import io.javalin.http.Context;

/**
 * {@code GET /health} in the seed's shape, which its users' scripts parse:
 * {@code {"status", "details": {"circuit_breakers": {"all_closed", "open_breakers", "details": {name: {...}}},
 * "kafka", "mongodb"}}}. Breakers come from {@code breaker.health} (the whole fleet, not this process); Kafka and
 * MongoDB from background checks. 200 while work can be accepted (Kafka answers), 503 when it cannot. Also
 * {@code /health/live} and {@code /health/ready}, which an open breaker never fails: parking work is not being down.
 */
final class HealthRoutes {

    static final String PATH = "/health";
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
        Map<String, BreakerHealth> breakers = fleet.breakers();
        List<String> open = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();
        breakers.forEach((name, health) -> {
            if (health.state() == BreakerState.OPEN) {
                open.add(name);
            }
            details.put(name, breakerDetails(health));
        });
        boolean allClosed = breakers.values().stream().allMatch(BreakerHealth::isClosed);
        Map<String, Object> circuitBreakers = new LinkedHashMap<>();
        circuitBreakers.put("all_closed", allClosed);
        circuitBreakers.put("open_breakers", open);
        circuitBreakers.put("details", details);
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
