package io.breakwater.launcher.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded random schedule of faults, each preceded by a share of the inputs: everything random in a
 * fault-injection run comes from here, so one seed replays one schedule. Every schedule holds each kind of fault
 * at least once (a worker kill and a broker kill included); more faults are drawn at random. Immutable.
 *
 * @param steps in order; inputs of step i are sent before its fault, and {@code tailQuestions}/{@code tailCrawlJobs}
 *              after the last
 */
public record FaultSchedule(long seed, List<Step> steps, int tailQuestions, int tailCrawlJobs) {

    /** What goes wrong. */
    public enum Kind {
        /** The LLM answers 500. */
        LLM_ERRORS(false),
        /** The LLM hangs past the worker's call timeout. */
        LLM_TIMEOUTS(false),
        /** The LLM answers, slowly (under the call timeout). */
        LLM_SLOW(false),
        /** The LLM answers 429 with a Retry-After. */
        LLM_RATE_LIMITED(false),
        /** Every byte to and from MongoDB stops. */
        MONGO_FROZEN(true),
        /** Every byte between the services and the brokers stops (replication goes on). */
        KAFKA_FROZEN(true),
        /** The QA worker is killed with SIGKILL and started again with the same instance id. */
        WORKER_KILLED(true),
        /** One broker of three is stopped without controlled shutdown, then restarted on its data. */
        BROKER_KILLED(true);

        private final boolean canRepeatACall;

        Kind(boolean canRepeatACall) {
            this.canRepeatACall = canRepeatACall;
        }

        /** Whether work in flight can be rewound by it, so that a question may reach the LLM once more. */
        public boolean canRepeatACall() {
            return canRepeatACall;
        }
    }

    /**
     * @param questions questions to send before the fault
     * @param crawlJobs crawl jobs to send before the fault
     * @param duration how long the fault lasts (for a worker kill: nothing, the restart follows)
     * @param broker the broker killed, 1 to 3
     * @param retryAfter the Retry-After of a 429, in seconds
     */
    public record Step(Kind kind, int questions, int crawlJobs, Duration duration, int broker, int retryAfter) {

        @Override
        public String toString() {
            return kind + switch (kind) {
                case BROKER_KILLED -> " broker " + broker + " for " + duration.toMillis() + " ms";
                case WORKER_KILLED -> "";
                case LLM_RATE_LIMITED -> " Retry-After " + retryAfter + " s for " + duration.toMillis() + " ms";
                default -> " for " + duration.toMillis() + " ms";
            } + " (after " + questions + " questions, " + crawlJobs + " crawl jobs)";
        }
    }

    /**
     * @param faults how many faults, at least one of each kind
     * @param longestFault the longest a fault lasts; the shortest is a quarter of it, at least 1 s
     */
    public static FaultSchedule generate(long seed, int questions, int crawlJobs, int faults, Duration longestFault) {
        Random random = new Random(seed);
        List<Kind> kinds = new ArrayList<>(List.of(Kind.values()));
        while (kinds.size() < faults) {
            kinds.add(Kind.values()[random.nextInt(Kind.values().length)]);
        }
        Collections.shuffle(kinds, random);
        int chunks = kinds.size() + 1;
        long longest = longestFault.toMillis();
        long shortest = Math.max(1_000, longest / 4);
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            Duration duration = Duration.ofMillis(shortest + (long) (random.nextDouble() * (longest - shortest)));
            steps.add(new Step(kinds.get(i), share(questions, chunks, i), share(crawlJobs, chunks, i), duration,
                    1 + random.nextInt(3), 1 + random.nextInt(3)));
        }
        return new FaultSchedule(seed, List.copyOf(steps), share(questions, chunks, kinds.size()),
                share(crawlJobs, chunks, kinds.size()));
    }

    /** How many faults of each kind. */
    public Map<Kind, Integer> counts() {
        Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        steps.forEach(step -> counts.merge(step.kind(), 1, Integer::sum));
        return counts;
    }

    /** Faults after which a question may be asked of the LLM once more. */
    public int repeatFaults() {
        return (int) steps.stream().filter(step -> step.kind().canRepeatACall()).count();
    }

    private static int share(int total, int chunks, int index) {
        return total / chunks + (index < total % chunks ? 1 : 0);
    }
}
