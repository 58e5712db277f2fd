package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.breakwater.core.config.Settings;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.health.BreakerCause;
import io.breakwater.core.health.BreakerHealth;
import io.breakwater.core.health.BreakerState;
import io.breakwater.core.topic.Topics;
import io.breakwater.ingest.IngestApi;
import io.breakwater.qa.QaWorker;
import io.breakwater.state.BreakerStateApp;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.LlmDouble;
import io.breakwater.testkit.Running;
import io.breakwater.testkit.TopicProbe;

/**
 * Breakers across a fleet, on the real broker: every worker reports, the breaker-state app folds, {@code /health}
 * and the CLI read the result, and workers follow each other.
 */
@ExtendWith(EmbeddedServersExtension.class)
class FleetBreakersIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final int THRESHOLD = 5;

    @TempDir
    Path stateDir;

    @RegisterExtension
    final Running running = new Running();

    @Test
    void shouldShowTheLlmBreakerOpenOnHealthWhileTheLlmIsDownAndClosedAfterItsTrialCall(EmbeddedServers servers) throws Exception {
        try (LlmDouble llm = LlmDouble.start()) {
            // One call at a time, as the seed's manual test asked one question at a time.
            Settings settings = fleetSettings(servers, llm, Map.of("breaker.llm_service.open.seconds", "2",
                    "qa.concurrency", "1"));
            running.add(BreakerStateApp.start(settings, Duration.ofSeconds(60), running::failed));
            QaWorker worker = running.add(QaWorker.start(settings.with("instance.id", "worker-1"), running::failed));
            IngestApi api = running.add(IngestApi.start(settings.with("api.port", "0").with("api.host", "127.0.0.1")));
            await().atMost(Duration.ofSeconds(20)).until(() -> breakerOnHealth(api).isPresent());
            // Every breaker of the seed, retrieval's with its figures (5 failures).
            JsonNode vectorDb = await().atMost(Duration.ofSeconds(20)).until(
                    () -> health(api).at("/details/circuit_breakers/details/vector_db"), node -> !node.isMissingNode());
            assertThat(vectorDb.get("state").asText()).isEqualTo("closed");
            assertThat(vectorDb.get("failure_threshold").asInt()).isEqualTo(5);
            assertThat(health(api).at("/details/circuit_breakers/details").has("mongodb")).isTrue();

            llm.mode(LlmDouble.Mode.FAIL_500);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < THRESHOLD + 2; i++) {
                ids.add(ask(api, "Is it down " + i + "?"));
            }

            JsonNode open = await().atMost(Duration.ofSeconds(20)).until(() -> health(api),
                    body -> body.at("/details/circuit_breakers/details/llm_service/state").asText().equals("open"));
            assertThat(open.get("status").asText()).isEqualTo("degraded");
            JsonNode breakers = open.at("/details/circuit_breakers");
            assertThat(breakers.get("all_closed").asBoolean()).isFalse();
            assertThat(breakers.get("open_breakers")).containsExactly(EventJson.mapper().getNodeFactory().textNode("llm_service"));
            JsonNode llmService = breakers.at("/details/llm_service");
            // The threshold, plus the failure of any call (a replay) that was already out when it opened.
            assertThat(llmService.get("failure_count").asInt()).isBetween(THRESHOLD, THRESHOLD + 1);
            assertThat(llmService.get("failure_threshold").asInt()).isEqualTo(THRESHOLD);
            assertThat(Instant.parse(llmService.get("opened_at").asText())).isBefore(Instant.now());
            assertThat(llmService.get("is_closed").asBoolean()).isFalse();
            assertThat(llmService.get("is_open").asBoolean()).isTrue();
            assertThat(llmService.get("open_instances").get(0).asText()).isEqualTo("worker-1");
            assertThat(open.at("/details/kafka/is_up").asBoolean()).isTrue();
            assertThat(open.at("/details/mongodb/is_up").asBoolean()).isTrue();
            assertThat(get(api, "/health/live").statusCode()).as("an open breaker is not a dead service").isEqualTo(200);
            assertThat(get(api, "/health/ready").statusCode()).as("work is parked, not refused").isEqualTo(200);

            llm.mode(LlmDouble.Mode.ANSWER);

            JsonNode closed = await().atMost(Duration.ofSeconds(30)).until(() -> health(api),
                    body -> body.at("/details/circuit_breakers/all_closed").asBoolean());
            assertThat(closed.get("status").asText()).isEqualTo("healthy");
            assertThat(closed.at("/details/circuit_breakers/open_breakers")).isEmpty();
            JsonNode recovered = closed.at("/details/circuit_breakers/details/llm_service");
            assertThat(recovered.get("state").asText()).isEqualTo("closed");
            assertThat(recovered.get("is_closed").asBoolean()).isTrue();
            assertThat(recovered.has("recovered_at")).as("closed by a successful trial call").isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> allAnswered(api, ids));
        }
    }

    @Test
    void shouldStopTheWholeFleetAfterTheThresholdOfFailuresNotAfterEachInstancesOwn(EmbeddedServers servers) throws Exception {
        Outage shared = threeWorkersAgainstADeadLlm(servers, true);
        Outage alone = threeWorkersAgainstADeadLlm(servers, false);

        System.out.printf("Three workers against a dead LLM: %d calls reached it before every instance was open,"
                        + " with the fleet sharing its breaker (threshold %d, plus %d already in flight when it was"
                        + " reached); %d calls with each instance on its own%n", shared.calls(), THRESHOLD,
                shared.inFlight(), alone.calls());
        assertThat(shared.calls()).as("at most the threshold plus the calls already in flight")
                .isLessThanOrEqualTo(THRESHOLD + shared.inFlight());
        assertThat(alone.calls()).as("on its own, each instance pays its own threshold")
                .isGreaterThanOrEqualTo(3 * THRESHOLD);
    }

    /** The calls a dead LLM receives from three workers until every one of them refuses calls. */
    private Outage threeWorkersAgainstADeadLlm(EmbeddedServers servers, boolean share) throws Exception {
        int instances = 3;
        try (LlmDouble llm = LlmDouble.start()) {
            // A dependency that fails slowly, as an overloaded one does: a second per failure.
            llm.mode(LlmDouble.Mode.FAIL_500);
            llm.failureDelay(Duration.ofSeconds(1));
            Settings settings = fleetSettings(servers, llm, Map.of("qa.concurrency", "2",
                    "breaker.llm_service.open.seconds", "60", "breaker.share", Boolean.toString(share)));
            Topics topics = Topics.from(settings);
            // A fleet of its own, stopped before the test's next outage starts another.
            try (Running started = new Running()) {
                started.add(BreakerStateApp.start(settings, Duration.ofSeconds(60), running::failed));
                List<QaWorker> workers = new ArrayList<>();
                for (int i = 1; i <= instances; i++) {
                    workers.add(started.add(QaWorker.start(settings.with("instance.id", "worker-" + i), running::failed)));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> healthRecord(servers, topics)
                        .filter(health -> health.instances().size() == instances).isPresent());
                // A rebalance abandons calls in flight (and their successors repeat them): count only sharing's effect.
                awaitStableGroup(servers, settings.string("qa.group", ""), instances);
                Map<String, String> questions = new LinkedHashMap<>();
                for (int i = 0; i < 60; i++) {
                    questions.put("fleet-" + i, "{\"id\":\"fleet-" + i + "\",\"question\":\"Anyone there " + i + "?\"}");
                }
                new TopicProbe(servers.bootstrapServers()).publishAll(topics.questions().name(), questions);

                await().atMost(Duration.ofSeconds(30)).until(() ->
                        workers.stream().allMatch(worker -> worker.llmBreaker().state() == BreakerState.OPEN));
                int calls = llm.calls();
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> llm.calls() == calls);
                if (share) {
                    BreakerHealth fleet = await().atMost(Duration.ofSeconds(30)).until(() -> healthRecord(servers, topics),
                            health -> health.filter(h -> h.openInstances().size() == instances).isPresent()).orElseThrow();
                    assertThat(fleet.state()).isEqualTo(BreakerState.OPEN);
                    assertThat(fleet.byInstance().values()).as("some tripped, the others follow")
                            .anySatisfy(view -> assertThat(view.isTripped()).isTrue());
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> llm.callLog().size() == calls);
                return new Outage(calls, inFlightWhenTheThresholdWasReached(llm.callLog()));
            }
        }
    }

    private record Outage(int calls, int inFlight) {
    }

    @Test
    void shouldLetOneInstancesSuccessfulTrialCloseTheOthersAndSendOnlyItsTrialCall(EmbeddedServers servers) throws Exception {
        try (LlmDouble llm = LlmDouble.start()) {
            llm.mode(LlmDouble.Mode.FAIL_500);
            Settings settings = fleetSettings(servers, llm, Map.of("qa.concurrency", "1",
                    "breaker.llm_service.open.seconds", "3"));
            Topics topics = Topics.from(settings);
            running.add(BreakerStateApp.start(settings, Duration.ofSeconds(60), running::failed));
            List<QaWorker> workers = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                QaWorker worker = running.add(QaWorker.start(settings.with("instance.id", "worker-" + i), running::failed));
                workers.add(worker);
            }
            Map<String, String> questions = new LinkedHashMap<>();
            for (int i = 0; i < 30; i++) {
                questions.put("trial-" + i, "{\"id\":\"trial-" + i + "\",\"question\":\"Back yet " + i + "?\"}");
            }
            new TopicProbe(servers.bootstrapServers()).publishAll(topics.questions().name(), questions);
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    workers.stream().allMatch(worker -> worker.llmBreaker().state() == BreakerState.OPEN));
            int callsWhileDown = llm.calls();

            llm.mode(LlmDouble.Mode.ANSWER);

            await().atMost(Duration.ofSeconds(30)).until(() ->
                    workers.stream().allMatch(worker -> worker.llmBreaker().state() == BreakerState.CLOSED));
            BreakerHealth recovered = await().atMost(Duration.ofSeconds(30)).until(() -> healthRecord(servers, topics),
                    health -> health.filter(h -> h.state() == BreakerState.CLOSED && h.recoveredAt() != null)
                            .isPresent()).orElseThrow();
            long closedByTheirOwnTrial = recovered.byInstance().values().stream()
                    .filter(view -> view.cause() == BreakerCause.TRIAL_SUCCEEDED).count();
            List<LlmDouble.Call> afterTheOutage = llm.callLog().subList(callsWhileDown, llm.callLog().size());
            long trialCalls = afterTheOutage.isEmpty() ? 0 : afterTheOutage.stream()
                    .filter(call -> call.startNanos() <= afterTheOutage.get(0).endNanos()).count();
            System.out.printf("Recovery of three workers: %d instance(s) closed by a trial call of their own, %d call(s)"
                    + " in flight during the first trial%n", closedByTheirOwnTrial, trialCalls);
            assertThat(closedByTheirOwnTrial).as("one trial closes the fleet").isEqualTo(1);
            assertThat(trialCalls).as("the fleet sends one trial, not one per instance").isEqualTo(1);
            await().atMost(Duration.ofSeconds(60)).until(() -> new TopicProbe(servers.bootstrapServers())
                    .readAtLeast(topics.answers().name(), 30, Duration.ofSeconds(5)).size() >= 30);
        }
    }

    @Test
    void shouldStartARestartedWorkerOpenWhenTheFleetHadItOpen(EmbeddedServers servers) throws Exception {
        try (LlmDouble llm = LlmDouble.start()) {
            llm.mode(LlmDouble.Mode.FAIL_500);
            Settings settings = fleetSettings(servers, llm, Map.of("breaker.llm_service.open.seconds", "60"));
            Topics topics = Topics.from(settings);
            running.add(BreakerStateApp.start(settings, Duration.ofSeconds(60), running::failed));
            QaWorker first = QaWorker.start(settings.with("instance.id", "worker-1"), running::failed);
            Map<String, String> questions = new LinkedHashMap<>();
            for (int i = 0; i < 10; i++) {
                questions.put("restart-" + i, "{\"id\":\"restart-" + i + "\",\"question\":\"Still down " + i + "?\"}");
            }
            new TopicProbe(servers.bootstrapServers()).publishAll(topics.questions().name(), questions);
            await().atMost(Duration.ofSeconds(30)).until(() -> healthRecord(servers, topics)
                    .filter(health -> health.state() == BreakerState.OPEN).isPresent());
            first.close();
            int callsBefore = llm.calls();

            QaWorker restarted = running.add(QaWorker.start(settings.with("instance.id", "worker-1"), running::failed));
            new TopicProbe(servers.bootstrapServers()).publishAll(topics.questions().name(),
                    Map.of("restart-late", "{\"id\":\"restart-late\",\"question\":\"After the restart?\"}"));

            assertThat(restarted.llmBreaker().state()).as("starts where the fleet is").isEqualTo(BreakerState.OPEN);
            // No failures relearned after the restart: not one call while the fleet's open time lasts.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> llm.calls() == callsBefore);
        }
    }

    @Test
    void shouldPrintTheHealthTopicsViewAsJsonAndAsATable(EmbeddedServers servers) throws Exception {
        String prefix = "cli-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Settings settings = Settings.of(Map.of("kafka.bootstrap", servers.bootstrapServers(), "topic.prefix", prefix));
        Topics topics = Topics.from(settings);
        try (var admin = io.breakwater.core.kafka.KafkaClients.createAdmin(
                io.breakwater.core.config.KafkaSettings.from(settings), "cli-it")) {
            io.breakwater.core.topic.TopicAdmin.ensure(admin, topics.all());
        }
        TopicProbe probe = new TopicProbe(servers.bootstrapServers());
        Instant now = Instant.parse("2026-11-27T10:00:00Z");
        probe.publish(topics.breakerHealth().name(), bytes("llm_service"), EventJson.encode(health("llm_service",
                BreakerState.CLOSED, List.of(), now)));
        probe.publish(topics.breakerHealth().name(), bytes("crawler:example.com"), EventJson.encode(health(
                "crawler:example.com", BreakerState.CLOSED, List.of(), now)));
        probe.publish(topics.breakerHealth().name(), bytes("llm_service"), EventJson.encode(health("llm_service",
                BreakerState.OPEN, List.of("worker-2"), now.plusSeconds(1))));

        ByteArrayOutputStream json = new ByteArrayOutputStream();
        int exit = Breakwater.execute(settings, new PrintStream(json, true, StandardCharsets.UTF_8), "health", "--json");

        assertThat(exit).isZero();
        ObjectNode expected = EventJson.mapper().createObjectNode();
        for (ConsumerRecord<byte[], byte[]> record : probe.readAll(topics.breakerHealth().name(), Duration.ofSeconds(1))) {
            expected.set(new String(record.key(), StandardCharsets.UTF_8), EventJson.mapper().readTree(record.value()));
        }
        assertThat(EventJson.mapper().readTree(json.toString(StandardCharsets.UTF_8))).isEqualTo(expected);
        assertThat(expected.at("/llm_service/state").asText()).isEqualTo("open");

        ByteArrayOutputStream table = new ByteArrayOutputStream();
        Breakwater.execute(settings, new PrintStream(table, true, StandardCharsets.UTF_8), "health");
        assertThat(table.toString(StandardCharsets.UTF_8))
                .containsPattern("llm_service\\s+open\\s+5/5\\s+90.0%\\s+100\\s+worker-2")
                .containsPattern("crawler:example.com\\s+closed");
    }

    private static void awaitStableGroup(EmbeddedServers servers, String group, int members) {
        try (var admin = io.breakwater.core.kafka.KafkaClients.createAdmin(
                new io.breakwater.core.config.KafkaSettings(servers.bootstrapServers(), Map.of()), "fleet-it-groups")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                var description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                return description.groupState() == org.apache.kafka.common.GroupState.STABLE
                        && description.members().size() == members
                        && description.members().stream().allMatch(member -> !member.assignment().topicPartitions().isEmpty());
            });
        }
    }

    private static BreakerHealth health(String breaker, BreakerState state, List<String> open, Instant at) {
        return new BreakerHealth(1, breaker, state, state == BreakerState.CLOSED, state == BreakerState.OPEN, open,
                List.of(), List.of("worker-1", "worker-2"), state == BreakerState.OPEN ? 5 : 0, 5, 100, 90, 10, 0, 90.0,
                at, at, state == BreakerState.OPEN ? at : null, null, null, at, null, null, Map.of(), at);
    }

    private Settings fleetSettings(EmbeddedServers servers, LlmDouble llm, Map<String, String> more) {
        String run = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> values = new HashMap<>(Map.of(
                "kafka.bootstrap", servers.bootstrapServers(),
                "mongo.uri", servers.mongoUri(),
                "mongo.database", run,
                "topic.prefix", run + ".",
                "qa.group", run,
                "state.dir", stateDir.resolve(run).toString(),
                "llm.url", llm.baseUrl(),
                "llm.model", "m"));
        values.putAll(Map.of(
                "breaker.llm_service.retries", "0",
                "breaker.llm_service.timeout.seconds", "5",
                "breaker.snapshot.seconds", "1",
                "qa.park.backoff.seconds", "0.2",
                "qa.park.max.backoff.seconds", "0.5",
                "qa.park.limit", "100"));
        values.putAll(more);
        return Settings.of(values);
    }

    /** Calls that had reached the LLM but were not yet answered when the threshold-th failure was answered. */
    private static int inFlightWhenTheThresholdWasReached(List<LlmDouble.Call> calls) {
        List<Long> failureEnds = calls.stream().filter(call -> call.status() >= 500).map(LlmDouble.Call::endNanos)
                .sorted().toList();
        if (failureEnds.size() < THRESHOLD) {
            return calls.size();
        }
        long reached = failureEnds.get(THRESHOLD - 1);
        return (int) calls.stream().filter(call -> call.startNanos() <= reached && call.endNanos() > reached).count();
    }

    /** The latest record of {@code llm_service} on {@code breaker.health} (the workers' mongodb breaker reports too). */
    private static java.util.Optional<BreakerHealth> healthRecord(EmbeddedServers servers, Topics topics) {
        List<ConsumerRecord<byte[], byte[]>> records = new TopicProbe(servers.bootstrapServers())
                // To the end as it stands: breaker.health is written all the time, a quiet window may never come.
                .readToEnd(topics.breakerHealth().name(), Duration.ofSeconds(10)).stream()
                .filter(record -> new String(record.key(), StandardCharsets.UTF_8).equals("llm_service")).toList();
        return records.isEmpty() ? java.util.Optional.empty()
                : java.util.Optional.of(EventJson.decode(records.get(records.size() - 1).value(), BreakerHealth.class));
    }

    private static java.util.Optional<JsonNode> breakerOnHealth(IngestApi api) throws Exception {
        JsonNode node = health(api).at("/details/circuit_breakers/details/llm_service");
        return node.isMissingNode() ? java.util.Optional.empty() : java.util.Optional.of(node);
    }

    private static JsonNode health(IngestApi api) throws Exception {
        return EventJson.mapper().readTree(get(api, "/health").body());
    }

    private static HttpResponse<String> get(IngestApi api, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String ask(IngestApi api, String question) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
                        + "/api/v1/questions")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"question\":\"" + question + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(202);
        return EventJson.mapper().readTree(response.body()).get("id").asText();
    }

    private static String status(IngestApi api, String id) throws Exception {
        HttpResponse<String> response = get(api, "/api/v1/questions/" + id);
        return response.statusCode() == 200 ? EventJson.mapper().readTree(response.body()).get("status").asText() : null;
    }

    private static boolean allAnswered(IngestApi api, List<String> ids) throws Exception {
        for (String id : ids) {
            if (!"answered".equals(status(api, id))) {
                return false;
            }
        }
        return true;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
