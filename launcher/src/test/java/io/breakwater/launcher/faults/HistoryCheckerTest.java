package io.breakwater.launcher.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The checker itself must be able to fail: each kind of violation, fed in, is reported with its id and history. */
class HistoryCheckerTest {

    private static final String ANSWERS = "qa.answers";
    private final HistoryChecker checker = new HistoryChecker();

    @Test
    void shouldPassAHistoryWhereEveryQuestionEndedOnceAndMongoAgrees() {
        History history = history(List.of(answer("a", "answered", 0), answer("b", "failed", 1)),
                Map.of("a", "answered", "b", "failed"), Map.of("a", 1));

        HistoryChecker.Verdict verdict = checker.check(history);

        assertThat(verdict.problems()).isEmpty();
        assertThat(verdict.ok()).isTrue();
        assertThat(verdict.summary()).contains("2 questions accepted (1 more indeterminate, of which 0 ended)",
                "1 answered, 1 failed");
    }

    @Test
    void shouldReportAQuestionAnsweredTwiceWithBothRecords() {
        History history = history(List.of(answer("a", "answered", 0), answer("a", "answered", 7),
                answer("b", "answered", 1)), Map.of("a", "answered", "b", "answered"), Map.of());

        HistoryChecker.Verdict verdict = checker.check(history);

        assertThat(verdict.ok()).isFalse();
        assertThat(verdict.problems()).containsExactly("ended 2 times: a");
        assertThat(verdict.offendingIds()).containsExactly("a");
        assertThat(verdict.report(history)).contains("history of a", "qa.answers-0@0", "qa.answers-0@7", "bw.trace=t-a");
    }

    @Test
    void shouldReportAnAcceptedQuestionWithNoOutcomeAsStuck() {
        History history = history(List.of(answer("a", "answered", 0)), Map.of("a", "answered", "b", "parked"), Map.of());

        HistoryChecker.Verdict verdict = checker.check(history);

        assertThat(verdict.problems()).containsExactly("stuck, no outcome (stored: parked): b");
    }

    @Test
    void shouldReportMongoDisagreeingWithTheAnswersTopic() {
        History history = history(List.of(answer("a", "answered", 0), answer("b", "failed", 1)),
                Map.of("a", "answered", "b", "answered"), Map.of());

        HistoryChecker.Verdict verdict = checker.check(history);

        assertThat(verdict.problems()).containsExactly("MongoDB says answered but qa.answers says failed: b");
    }

    @Test
    void shouldReportAnOutcomeForAnIdNobodyAskedAndAMissingDocument() {
        List<History.Observed> records = new ArrayList<>(List.of(answer("a", "answered", 0), answer("b", "answered", 1),
                answer("ghost", "answered", 2)));
        History history = history(records, Map.of("a", "answered"), Map.of());

        HistoryChecker.Verdict verdict = checker.check(history);

        assertThat(verdict.problems()).containsExactlyInAnyOrder("an outcome for an id never accepted: ghost",
                "MongoDB says null but qa.answers says answered: b");
    }

    @Test
    void shouldLetAnIndeterminateQuestionEndOnceOrNotAtAllButNeverTwice() {
        History once = history(List.of(answer("a", "answered", 0), answer("b", "answered", 1),
                answer("maybe", "failed", 2)), Map.of("a", "answered", "b", "answered", "maybe", "failed"), Map.of());
        History twice = history(List.of(answer("a", "answered", 0), answer("b", "answered", 1),
                answer("maybe", "answered", 2), answer("maybe", "answered", 3)),
                Map.of("a", "answered", "b", "answered", "maybe", "answered"), Map.of());

        assertThat(checker.check(once).problems()).isEmpty();
        assertThat(checker.check(twice).problems()).containsExactly("ended 2 times: maybe");
    }

    @Test
    void shouldReportTheLlmAskedTooOftenForOneQuestionAndInAll() {
        Map<String, Integer> calls = new HashMap<>(Map.of("a", 3, "b", 1));
        History oneFault = new History(Set.of("a", "b"), Set.of(), List.of(answer("a", "answered", 0), answer("b", "answered", 1)),
                ANSWERS, Map.of("a", "answered", "b", "answered"), calls, 1, 1, Set.of(), Map.of());

        HistoryChecker.Verdict verdict = checker.check(oneFault);

        assertThat(verdict.problems()).containsExactlyInAnyOrder("the LLM answered 3 times, more than 1 + 1 faults: a",
                "the LLM answered 4 times, more than 2 questions + 1 faults x 1 in flight");
    }

    @Test
    void shouldReportTheLlmTotalAsAKnownFailureWhenNotStrictButStillFailEachQuestionsBound() {
        History oneFault = new History(Set.of("a", "b"), Set.of(), List.of(answer("a", "answered", 0), answer("b", "answered", 1)),
                ANSWERS, Map.of("a", "answered", "b", "answered"), Map.of("a", 3, "b", 1), 1, 1, Set.of(), Map.of());

        HistoryChecker.Verdict verdict = new HistoryChecker(false).check(oneFault);

        assertThat(verdict.problems()).containsExactly("the LLM answered 3 times, more than 1 + 1 faults: a");
        assertThat(verdict.knownFailures()).containsExactly(
                "the LLM answered 4 times, more than 2 questions + 1 faults x 1 in flight");
        assertThat(verdict.report(oneFault)).contains("KNOWN FAILURE");
    }

    @Test
    void shouldReportACrawlJobThatNeverEnded() {
        History history = new History(Set.of(), Set.of(), List.of(), ANSWERS, Map.of(), Map.of(), 0, 1,
                Set.of("j1", "j2", "j3"), Map.of("j1", "fetched", "j2", "queued"));

        HistoryChecker.Verdict verdict = checker.check(history);

        assertThat(verdict.problems()).containsExactly("crawl job stuck (stored: queued): j2",
                "crawl job stuck (stored: null): j3");
    }

    private static History history(List<History.Observed> records, Map<String, String> stored, Map<String, Integer> llm) {
        return new History(Set.of("a", "b"), Set.of("maybe"), records, ANSWERS, stored, llm, 0, 8, Set.of(), Map.of());
    }

    private static History.Observed answer(String id, String status, long offset) {
        return new History.Observed(ANSWERS, 0, offset, id, status, Map.of("bw.trace", "t-" + id),
                "{\"id\":\"" + id + "\",\"status\":\"" + status + "\"}");
    }
}
