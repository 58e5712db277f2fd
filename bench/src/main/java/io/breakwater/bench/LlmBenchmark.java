package io.breakwater.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topics;
import io.breakwater.qa.QaWorker;
import io.breakwater.testkit.LlmDouble;

/**
 * The QA worker against an LLM of fixed capacity, with no concurrency setting: at most C calls at once, each taking
 * L ms, a 429 (with {@code retry-after-ms} of L) for one more. Its capacity is C / L answers a second, and the figures
 * are fractions of it: answering a backlog, draining a parked backlog once the LLM is back, the share of calls that
 * met a 429. Then, with a fallback deployment, how long after the primary dies the first answer comes from the
 * fallback. Throughput is counted by a read_committed consumer of the answers, from the first to the last.
 */
final class LlmBenchmark {

    private static final Duration PATIENCE = Duration.ofMinutes(10);
    private static final Duration ANSWER_TIME = Duration.ofMillis(250);
    private static final int QUESTIONS_PER_SECOND_DURING_FAILOVER = 50;
    /** Answers in a row from the primary that show it serves again: half a second's questions. */
    private static final int SETTLED = 25;

    private final BenchCluster cluster;
    private final Report report;
    private final List<Integer> capacities;
    private final int questions;
    private final int trials;

    LlmBenchmark(BenchCluster cluster, Report report, Scale scale) {
        this.cluster = cluster;
        this.report = report;
        this.capacities = scale == Scale.TINY ? List.of(16) : List.of(16, 256);
        this.questions = scale.pick(64, 2_000, 10_000);
        this.trials = scale.pick(2, 10, 20);
    }

    void run() throws Exception {
        for (int slots : capacities) {
            String name = "llm-c" + slots;
            double capacity = slots / (ANSWER_TIME.toNanos() / 1e9);
            String described = "an LLM taking " + slots + " calls at once, " + ANSWER_TIME.toMillis() + " ms each ("
                    + Report.format(capacity) + " answers/s), 429 beyond";
            try (LlmDouble llm = capacityLimited(slots)) {
                double answered = answering(llm, slots);
                int calls = llm.calls();
                int refused = llm.refusedAsTooMany();
                report.figure(name + "/goodput", answered, "answers/s", questions + " questions published before the"
                        + " worker starts, " + described + ", no concurrency setting");
                report.ratio(name + "/goodput-capacity", answered / capacity, "answers/s ÷ the LLM's capacity");
                report.figure(name + "/429-share", 100.0 * refused / Math.max(1, calls), "%", refused + " of " + calls
                        + " calls met a 429");
            }
            try (LlmDouble llm = capacityLimited(slots)) {
                double drained = drain(llm);
                report.figure(name + "/drain", drained, "answers/s", questions + " questions parked while the LLM was"
                        + " down, then answered from the parked topic once it is back; " + described);
                report.ratio(name + "/drain-capacity", drained / capacity, "parked backlog drained ÷ the LLM's capacity");
            }
        }
        failover();
    }

    private static LlmDouble capacityLimited(int slots) {
        LlmDouble llm = LlmDouble.start();
        llm.answerDelay(ANSWER_TIME);
        llm.capacity(slots, ANSWER_TIME);
        return llm;
    }

    /** Answers per second for a backlog published before the worker starts. */
    private double answering(LlmDouble llm, int slots) throws Exception {
        return cluster.answeringRate("llm-" + slots, Map.of("llm.url", llm.baseUrl(), "llm.model", "bench"),
                questions, PATIENCE);
    }

    /**
     * Answers per second out of the parked topic: the questions park while the LLM is down (its breaker opens after
     * a few failures and parks the rest at once), then the LLM comes back, its breaker closes after a trial call, and
     * the replay drains the backlog under the same limit of calls in flight, with no replay rate setting.
     */
    private double drain(LlmDouble llm) throws Exception {
        Settings settings = cluster.run("llm-drain", Map.of("llm.url", llm.baseUrl(), "llm.model", "bench",
                "breaker.llm_service.open.seconds", "2"));
        Topics topics = Topics.from(settings);
        llm.mode(LlmDouble.Mode.DOWN);
        cluster.publishQuestions(settings, "d", questions);
        try (OutputWatcher parked = OutputWatcher.start(cluster.bootstrapServers(), topics.parkedQuestions().name());
             OutputWatcher answers = OutputWatcher.start(cluster.bootstrapServers(), topics.answers().name());
             QaWorker worker = QaWorker.start(settings, error -> { })) {
            parked.await(questions, PATIENCE);
            llm.mode(LlmDouble.Mode.ANSWER);
            answers.await(questions, PATIENCE);
            return answers.ratePerSecond();
        }
    }

    /**
     * With a fallback deployment and questions arriving steadily: the primary dies (its port closes) again and again,
     * and each time, how long until the first answer from the fallback is visible on {@code qa.answers}.
     */
    private void failover() throws Exception {
        try (LlmDouble primary = LlmDouble.start(); LlmDouble fallback = LlmDouble.start()) {
            primary.answerDelay(ANSWER_TIME);
            fallback.answerDelay(ANSWER_TIME);
            Settings settings = cluster.run("llm-failover", Map.of("llm.url", primary.baseUrl(), "llm.model", "main",
                    "llm.fallback.url", fallback.baseUrl(), "llm.fallback.model", "backup",
                    // The primary is back for the next trial within a second of its breaker's last trial call.
                    "breaker.llm_service.open.seconds", "1"));
            Topics topics = Topics.from(settings);
            ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
            AtomicBoolean publishing = new AtomicBoolean(true);
            long[] samples = new long[trials];
            try (OutputWatcher answers = OutputWatcher.start(cluster.bootstrapServers(), topics.answers().name(),
                    (nanos, record) -> seen.add(new Seen(nanos,
                            EventJson.decode(record.value(), AnswerEvent.class).answeredBy().depth())));
                 QaWorker worker = QaWorker.start(settings, error -> { })) {
                Thread publisher = new Thread(() -> publishSteadily(topics.questions().name(), publishing),
                        "bench-failover-publisher");
                publisher.setDaemon(true);
                publisher.start();
                try {
                    for (int trial = 0; trial < trials; trial++) {
                        primary.mode(LlmDouble.Mode.ANSWER);
                        awaitPrimaryServing(seen, System.nanoTime());
                        long died = System.nanoTime();
                        primary.mode(LlmDouble.Mode.DOWN);
                        samples[trial] = awaitAnswer(seen, died, 1) - died;
                    }
                } finally {
                    publishing.set(false);
                    publisher.join(TimeUnit.SECONDS.toMillis(10));
                }
            }
            Latencies failover = new Latencies(samples);
            String what = trials + " times: the primary's port closes while " + QUESTIONS_PER_SECOND_DURING_FAILOVER
                    + " questions/s arrive; until the first answer from the fallback is visible (read_committed)";
            report.figure("llm/fallback-p50", failover.millis(50), "ms", what);
            report.figure("llm/fallback-p99", failover.millis(99), "ms", what);
        }
    }

    /**
     * Waits until the primary answers everything again: {@value #SETTLED} answers in a row from it after
     * {@code after}, so that no call to the fallback made before is still in flight when the primary dies again.
     */
    private static void awaitPrimaryServing(ConcurrentLinkedQueue<Seen> seen, long after) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            int inARow = 0;
            for (Seen answer : seen) {
                if (answer.nanos() > after) {
                    inARow = answer.depth() == 0 ? inARow + 1 : 0;
                }
            }
            if (inARow >= SETTLED) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new IllegalStateException("the primary did not answer " + SETTLED + " in a row within " + PATIENCE);
    }

    /** When an answer at {@code depth} was first seen after {@code after} (System.nanoTime). */
    private static long awaitAnswer(ConcurrentLinkedQueue<Seen> seen, long after, int depth) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            for (Seen answer : seen) {
                if (answer.nanos() > after && answer.depth() == depth) {
                    return answer.nanos();
                }
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        throw new IllegalStateException("no answer at depth " + depth + " within " + PATIENCE);
    }

    private record Seen(long nanos, int depth) {
    }

    private void publishSteadily(String topic, AtomicBoolean publishing) {
        Map<String, Object> props = new HashMap<>(KafkaClients.producer(
                new KafkaSettings(cluster.bootstrapServers(), Map.of()), "bench-failover"));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            long start = System.nanoTime();
            for (int i = 0; publishing.get(); i++) {
                long due = start + i * 1_000_000_000L / QUESTIONS_PER_SECOND_DURING_FAILOVER;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                producer.send(BenchCluster.question(topic, "f-" + i));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
