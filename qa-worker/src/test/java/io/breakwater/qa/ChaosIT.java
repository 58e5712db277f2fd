package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.breakwater.core.config.Settings;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.topic.Topics;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.LlmDouble.Mode;
import io.breakwater.testkit.LlmDouble;
import io.breakwater.testkit.TopicProbe;

/**
 * Thousands of questions while the LLM keeps failing in every way it can (500s, refused connections, hangs past the
 * timeout), then recovers: every question ends answered, exactly once.
 */
@ExtendWith(EmbeddedServersExtension.class)
class ChaosIT {

    private static final int QUESTIONS = 2000;
    private static final Duration CHAOS = Duration.ofSeconds(15);
    private static final List<Mode> OUTAGES = List.of(Mode.FAIL_500, Mode.DOWN, Mode.HANG, Mode.RATE_LIMITED_429);

    @Test
    void shouldAnswerEveryQuestionExactlyOnceThroughRandomLlmOutages(EmbeddedServers servers) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String run = "chaos-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> values = new HashMap<>(Map.ofEntries(
                Map.entry("kafka.bootstrap", servers.bootstrapServers()),
                Map.entry("mongo.uri", servers.mongoUri()),
                Map.entry("mongo.database", run),
                Map.entry("topic.prefix", run + "."),
                Map.entry("qa.group", run),
                Map.entry("instance.id", "chaos"),
                Map.entry("llm.model", "chaos-model"),
                Map.entry("breaker.llm_service.timeout.seconds", "0.2"),
                Map.entry("breaker.llm_service.open.seconds", "0.3"),
                Map.entry("breaker.llm_service.retries", "1"),
                Map.entry("breaker.llm_service.retry.delay.seconds", "0.02"),
                Map.entry("breaker.llm_service.retry.max.delay.seconds", "0.05"),
                Map.entry("qa.park.backoff.seconds", "0.1"),
                Map.entry("qa.park.max.backoff.seconds", "1"),
                Map.entry("qa.replay.rate.per.second", "1000")));
        Topics topics = Topics.from(Settings.of(values));
        TopicProbe probe = new TopicProbe(servers.bootstrapServers());
        List<Throwable> failures = new ArrayList<>();

        try (LlmDouble llm = LlmDouble.start()) {
            // Slow enough that the questions are still being answered when the outages come.
            llm.answerDelay(Duration.ofMillis(30));
            values.put("llm.url", llm.baseUrl());
            try (QaWorker worker = QaWorker.start(Settings.of(values), failures::add)) {
                Map<String, String> questions = new java.util.LinkedHashMap<>();
                for (int i = 0; i < QUESTIONS; i++) {
                    questions.put("c-" + i, "{\"id\":\"c-" + i + "\",\"question\":\"Chaos " + i + "?\"}");
                }
                probe.publishAll(topics.questions().name(), questions);
                Set<String> accepted = questions.keySet();

                AtomicInteger outages = new AtomicInteger();
                ScheduledExecutorService monkey = Executors.newSingleThreadScheduledExecutor();
                long end = System.nanoTime() + CHAOS.toNanos();
                // Every 150-400 ms the LLM changes: four times in ten into an outage of a random kind.
                monkey.execute(new Runnable() {
                    @Override
                    public void run() {
                        if (System.nanoTime() >= end) {
                            return;
                        }
                        boolean outage = random.nextInt(10) < 4;
                        llm.mode(outage ? OUTAGES.get(random.nextInt(OUTAGES.size())) : Mode.ANSWER);
                        outages.addAndGet(outage ? 1 : 0);
                        monkey.schedule(this, 150 + random.nextInt(250), TimeUnit.MILLISECONDS);
                    }
                });
                await().atMost(CHAOS.plusSeconds(10)).until(() -> System.nanoTime() >= end);
                monkey.shutdown();
                assertThat(monkey.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
                llm.mode(Mode.ANSWER);

                List<ConsumerRecord<byte[], byte[]>> records = probe.readUntil(topics.answers().name(),
                        read -> distinctIds(read).size() >= QUESTIONS, Duration.ofSeconds(120));
                records = probe.readAll(topics.answers().name(), Duration.ofSeconds(2));

                List<AnswerEvent> answers = records.stream()
                        .map(record -> EventJson.decode(record.value(), AnswerEvent.class)).toList();
                long answered = answers.stream().filter(answer -> answer.status() == QuestionStatus.ANSWERED)
                        .map(AnswerEvent::id).distinct().count();
                long failed = answers.stream().filter(answer -> answer.status() == QuestionStatus.FAILED).count();
                Set<String> ended = distinctIds(records);
                long lost = accepted.stream().filter(id -> !ended.contains(id)).count();
                long duplicated = records.size() - ended.size();
                int parks = probe.readAll(topics.parkedQuestions().name(), Duration.ofMillis(500)).size();
                System.out.printf("Chaos (seed %d, %d outages, %d LLM calls, %d parks): %d accepted, %d answered,"
                                + " %d failed, %d lost, %d duplicated%n", seed, outages.get(), llm.calls(), parks,
                        accepted.size(), answered, failed, lost, duplicated);
                assertThat(parks).as("the outages parked questions").isPositive();

                assertThat(failures).isEmpty();
                assertThat(answered).as("answered (seed %d)", seed).isEqualTo(QUESTIONS);
                assertThat(failed).as("failed (seed %d)", seed).isZero();
                assertThat(lost).as("lost (seed %d)", seed).isZero();
                assertThat(duplicated).as("duplicated (seed %d)", seed).isZero();
            }
        }
    }


    private static Set<String> distinctIds(List<ConsumerRecord<byte[], byte[]>> records) {
        Set<String> ids = new HashSet<>();
        records.forEach(record -> ids.add(new String(record.key(), StandardCharsets.UTF_8)));
        return ids;
    }
}
