package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.testkit.LlmDouble;

/**
 * The QA worker finds what the LLM takes, with no concurrency setting: an LLM with 16 slots of 250 ms each (64 answers
 * a second at most, a 429 for a 17th call at once) answers a backlog of questions published straight to
 * {@code qa.questions}, with few 429s. How close to the LLM's capacity it comes is printed, not asserted (the machine
 * is shared); {@code ./breakwater bench llm} measures it.
 */
class QaWorkerCapacityIT extends QaWorkerTesting {

    private static final int SLOTS = 16;
    private static final Duration ANSWER_TIME = Duration.ofMillis(250);
    private static final int QUESTIONS = 640;

    @Test
    void shouldAnswerABacklogAtTheLlmsCapacityWithFewRateLimitsAndNoConcurrencySetting() {
        LlmDouble llm = startLlm();
        llm.answerDelay(ANSWER_TIME);
        llm.capacity(SLOTS, ANSWER_TIME);
        assertThat(settings).doesNotContainKeys("qa.concurrency", "qa.max.in.flight");
        try (Admin admin = KafkaClients.createAdmin(KafkaSettings.from(Settings.of(settings)), "qa-it")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        List<String> ids = publishQuestions(QUESTIONS);
        startWorker();

        Map<String, AnswerEvent> answered = byId(answersWithin(QUESTIONS, Duration.ofMinutes(3)));

        assertThat(answered.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(answered.values()).allSatisfy(answer ->
                assertThat(answer.status()).isEqualTo(QuestionStatus.ANSWERED));
        assertThat(llm.mostAnswering()).isLessThanOrEqualTo(SLOTS);
        List<LlmDouble.Call> calls = llm.callLog();
        long refused = calls.stream().filter(call -> call.status() == 429).count();
        long first = calls.stream().mapToLong(LlmDouble.Call::startNanos).min().orElseThrow();
        long last = calls.stream().mapToLong(LlmDouble.Call::endNanos).max().orElseThrow();
        double perSecond = QUESTIONS / ((last - first) / 1e9);
        double capacity = SLOTS / (ANSWER_TIME.toNanos() / 1e9);
        System.out.printf("%d questions at %.1f answers/s, %.2f of the LLM's capacity (%.0f/s); %d of %d calls met a"
                + " 429; %d parked%n", QUESTIONS, perSecond, perSecond / capacity, capacity, refused, calls.size(),
                probe.readToEnd(topics.parkedQuestions().name(), WAIT).size());
        assertThat((double) refused / calls.size()).as("share of calls that met a 429").isLessThanOrEqualTo(0.05);
    }
}
