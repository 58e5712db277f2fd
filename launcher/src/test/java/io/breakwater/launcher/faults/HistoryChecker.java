package io.breakwater.launcher.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The Jepsen habit for Breakwater: after a run with faults, the committed records and MongoDB must tell one story.
 * Every accepted question ended exactly once ({@code answered} or {@code failed} on the answers topic), none ended
 * twice, none is stuck, MongoDB holds the same ending, no outcome names an id nobody asked, and the LLM answered
 * each question at most once more per fault that can repeat a call (and in all at most the questions plus, per
 * such fault, the calls it can catch in flight). Every accepted crawl job ended {@code fetched}, {@code skipped} or
 * {@code failed}. Stateless and thread-safe.
 */
public final class HistoryChecker {

    private static final Set<String> ENDED = Set.of("answered", "failed");
    private static final Set<String> CRAWL_ENDED = Set.of("fetched", "skipped", "failed");

    private final boolean strictLlmTotal;

    /** A checker that holds the LLM's total calls to its budget (see {@link #HistoryChecker(boolean)}). */
    public HistoryChecker() {
        this(true);
    }

    /**
     * @param strictLlmTotal whether going over the LLM's total budget is a problem; if not, it is reported as a known
     *                       failure (a kill costs the answers since the last commit, a MongoDB stall every answer
     *                       in hand: see the README), while each question's own bound still holds
     */
    public HistoryChecker(boolean strictLlmTotal) {
        this.strictLlmTotal = strictLlmTotal;
    }

    /**
     * What the check found; {@link #ok()} when no problem.
     *
     * @param knownFailures violations reported but not failing the check
     */
    public record Verdict(List<String> problems, List<String> knownFailures, Set<String> offendingIds, String summary) {

        public boolean ok() {
            return problems.isEmpty();
        }

        /** The problems, then every record seen for each offending id, headers included. */
        public String report(History history) {
            StringBuilder out = new StringBuilder(summary).append('\n');
            problems.forEach(problem -> out.append("  PROBLEM ").append(problem).append('\n'));
            knownFailures.forEach(known -> out.append("  KNOWN FAILURE (not failing the run) ").append(known).append('\n'));
            Map<String, List<History.Observed>> byId = history.records().stream()
                    .filter(record -> record.id() != null)
                    .collect(Collectors.groupingBy(History.Observed::id));
            for (String id : offendingIds) {
                out.append("  history of ").append(id).append(" (stored: ").append(history.storedStatus().get(id))
                        .append(history.crawlStatus().containsKey(id) ? ", crawl: " + history.crawlStatus().get(id) : "")
                        .append(", LLM answers: ").append(history.llmAnswers().getOrDefault(id, 0)).append(")\n");
                byId.getOrDefault(id, List.of()).forEach(record -> out.append("    ").append(record).append('\n'));
            }
            return out.toString();
        }
    }

    public Verdict check(History history) {
        List<String> problems = new ArrayList<>();
        Set<String> offending = new TreeSet<>();
        Map<String, List<History.Observed>> outcomes = new TreeMap<>(history.records().stream()
                .filter(record -> record.topic().equals(history.answersTopic()))
                .collect(Collectors.groupingBy(History.Observed::id)));

        outcomes.forEach((id, ends) -> {
            if (ends.size() > 1) {
                problems.add("ended " + ends.size() + " times: " + id);
                offending.add(id);
            }
            if (!history.accepted().contains(id) && !history.indeterminate().contains(id)) {
                problems.add("an outcome for an id never accepted: " + id);
                offending.add(id);
            }
            ends.stream().filter(end -> end.status() == null || !ENDED.contains(end.status())).findFirst().ifPresent(end -> {
                problems.add("an outcome that is neither answered nor failed (" + end.status() + "): " + id);
                offending.add(id);
            });
        });
        Set<String> asked = new TreeSet<>(history.accepted());
        asked.addAll(history.indeterminate());
        for (String id : asked) {
            List<History.Observed> ends = outcomes.get(id);
            String stored = history.storedStatus().get(id);
            if (ends == null && !history.accepted().contains(id)) {
                continue;
            }
            if (ends == null) {
                problems.add("stuck, no outcome (stored: " + stored + "): " + id);
                offending.add(id);
            } else if (!Objects.equals(ends.get(ends.size() - 1).status(), stored)) {
                problems.add("MongoDB says " + stored + " but " + history.answersTopic() + " says "
                        + ends.get(ends.size() - 1).status() + ": " + id);
                offending.add(id);
            }
        }
        int perQuestion = 1 + history.repeatFaults();
        history.llmAnswers().forEach((id, calls) -> {
            if (calls > perQuestion) {
                problems.add("the LLM answered " + calls + " times, more than 1 + " + history.repeatFaults()
                        + " faults: " + id);
                offending.add(id);
            }
        });
        int llmAnswers = history.llmAnswers().values().stream().mapToInt(Integer::intValue).sum();
        long answered = outcomes.values().stream().filter(ends -> ends.stream()
                .anyMatch(end -> "answered".equals(end.status()))).count();
        long budget = history.accepted().size() + (long) history.repeatFaults() * history.inFlightPerFault();
        List<String> known = new ArrayList<>();
        if (llmAnswers > budget) {
            (strictLlmTotal ? problems : known).add("the LLM answered " + llmAnswers + " times, more than " + history.accepted().size()
                    + " questions + " + history.repeatFaults() + " faults x " + history.inFlightPerFault() + " in flight");
        }
        for (String job : new TreeSet<>(history.crawlAccepted())) {
            String status = history.crawlStatus().get(job);
            if (status == null || !CRAWL_ENDED.contains(status)) {
                problems.add("crawl job stuck (stored: " + status + "): " + job);
                offending.add(job);
            }
        }
        long failed = outcomes.values().stream().filter(ends -> ends.stream()
                .anyMatch(end -> "failed".equals(end.status()))).count();
        Map<String, Long> crawlEnds = history.crawlAccepted().stream()
                .collect(Collectors.groupingBy(job -> String.valueOf(history.crawlStatus().get(job)), TreeMap::new,
                        Collectors.counting()));
        long indeterminateEnded = history.indeterminate().stream().filter(outcomes::containsKey).count();
        String summary = String.format("History: %d questions accepted (%d more indeterminate, of which %d ended), %d outcomes (%d answered, %d failed) on %s,"
                        + " %d records read in all; LLM answered %d times (%d repeat faults, budget %d);"
                        + " %d crawl jobs %s; %d problems",
                history.accepted().size(), history.indeterminate().size(), indeterminateEnded, outcomes.values().stream().mapToInt(List::size).sum(), answered, failed,
                history.answersTopic(), history.records().size(), llmAnswers, history.repeatFaults(), budget,
                history.crawlAccepted().size(), crawlEnds, problems.size());
        return new Verdict(List.copyOf(problems), List.copyOf(known), offending, summary);
    }
}
