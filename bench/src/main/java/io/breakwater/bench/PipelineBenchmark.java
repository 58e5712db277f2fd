package io.breakwater.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.topic.Topics;
import io.breakwater.qa.QaWorker;
import io.breakwater.testkit.LlmDouble;

/**
 * The QA worker against the bare loop, on the same broker, topics of the same partitions, the same transaction
 * settings: answering (offline answerer, then an OpenAI-format HTTP double that answers at once), parking while
 * {@code llm_service} is open, and replaying a parked backlog once it closes. Throughput is counted by a
 * read_committed consumer of the output, from the first output to the last, so start-up does not count.
 */
final class PipelineBenchmark {

    private static final Duration PATIENCE = Duration.ofMinutes(10);
    private static final int PACED_PER_SECOND = 100;

    private final BenchCluster cluster;
    private final Report report;
    private final int questions;
    private final int backlog;
    private final int pacedQuestions;
    private final int warmUp;

    PipelineBenchmark(BenchCluster cluster, Report report, Scale scale) {
        this.cluster = cluster;
        this.report = report;
        this.questions = scale.pick(200, 3_000, 20_000);
        this.backlog = scale.pick(200, 10_000, 100_000);
        this.pacedQuestions = scale.pick(50, 300, 2_000);
        this.warmUp = scale.pick(50, 1_000, 3_000);
    }

    void run() throws Exception {
        // The first run in a JVM pays for class loading and the JIT: warm both sides up before measuring either. The
        // bare loop does so little per record that it takes as many records again to reach its pace.
        bareLoop(questions);
        answering(warmUp, Map.of());

        double bare = bareLoop(questions);
        report.figure("passthrough/throughput", bare, "records/s",
                questions + " records, consume → copy → commit per poll, one transaction per batch, one thread");

        Latencies bareLatency = bareLatency();
        String paced = pacedQuestions + " records at " + PACED_PER_SECOND + "/s: published → output visible"
                + " (read_committed)";
        report.figure("passthrough/latency-p50", bareLatency.millis(50), "ms", paced + ", bare loop");
        report.figure("passthrough/latency-p99", bareLatency.millis(99), "ms", paced + ", bare loop");

        double offline = answering(questions, Map.of());
        report.figure("pipeline/throughput", offline, "questions/s", questions + " questions, offline answerer");
        report.ratio("pipeline/passthrough", offline / bare, "QA worker with the in-process answerer ÷ bare loop");

        try (LlmDouble llm = LlmDouble.start()) {
            double http = answering(questions, Map.of("llm.url", llm.baseUrl(), "llm.model", "bench"));
            report.figure("pipeline-http/throughput", http, "questions/s",
                    questions + " questions, OpenAI-format HTTP double answering at once");
            report.ratio("pipeline-http/passthrough", http / bare, "QA worker with a local HTTP LLM ÷ bare loop");
        }

        double parking = parking();
        report.ratio("park/passthrough", parking / bare, "parking while llm_service is open ÷ bare loop");

        double bareBacklog = backlog == questions ? bare : bareLoop(backlog);
        double replay = replay();
        report.figure("replay/throughput", replay, "questions/s", backlog + " parked questions drained after the"
                + " breaker closes (replay rate limit lifted)");
        report.ratio("replay/passthrough", replay / bareBacklog, "replaying a parked backlog ÷ bare loop of "
                + backlog);
    }

    /** The bare loop's throughput over {@code count} records. */
    private double bareLoop(int count) throws Exception {
        Settings settings = cluster.run("bare", Map.of());
        Topics topics = Topics.from(settings);
        cluster.publishQuestions(settings, "b", count);
        String group = settings.string("qa.group", "bare");
        try (OutputWatcher watcher = OutputWatcher.start(cluster.bootstrapServers(), topics.answers().name());
             BareLoop loop = BareLoop.start(KafkaSettings.from(settings), topics.questions().name(),
                     topics.answers().name(), group)) {
            watcher.await(count, PATIENCE);
            return watcher.ratePerSecond();
        }
    }

    /** The QA worker's throughput answering {@code count} questions published before it starts. */
    private double answering(int count, Map<String, String> extra) throws Exception {
        return cluster.answeringRate("answer", extra, count, PATIENCE);
    }

    /** The bare loop's latency at a steady load, measured as the park latency is. */
    private Latencies bareLatency() throws Exception {
        Settings settings = cluster.run("bare-latency", Map.of());
        Topics topics = Topics.from(settings);
        try (OutputWatcher watcher = OutputWatcher.start(cluster.bootstrapServers(), topics.answers().name());
             BareLoop loop = BareLoop.start(KafkaSettings.from(settings), topics.questions().name(),
                     topics.answers().name(), settings.string("qa.group", "bare"))) {
            // Ready first: a record sent before the loop joined its group would wait for the join, not for the loop.
            try (KafkaProducer<byte[], byte[]> producer = promptProducer()) {
                producer.send(BenchCluster.question(topics.questions().name(), "ready")).get(30, TimeUnit.SECONDS);
            }
            watcher.await(1, PATIENCE);
            return paced(topics.questions().name(), watcher, 1);
        }
    }

    /**
     * Publishes {@link #pacedQuestions} questions at {@link #PACED_PER_SECOND}, well under what either side can take,
     * and measures each from its publication to its output's visibility: latency, not queueing.
     */
    private Latencies paced(String topic, OutputWatcher watcher, int alreadySeen) throws Exception {
        long[] sentAt = new long[pacedQuestions];
        try (KafkaProducer<byte[], byte[]> producer = promptProducer()) {
            long start = System.nanoTime();
            for (int i = 0; i < pacedQuestions; i++) {
                long due = start + i * 1_000_000_000L / PACED_PER_SECOND;
                while (System.nanoTime() < due) {
                    TimeUnit.MICROSECONDS.sleep(200);
                }
                sentAt[i] = System.nanoTime();
                producer.send(BenchCluster.question(topic, "lat-" + i));
            }
            producer.flush();
        }
        watcher.await(alreadySeen + pacedQuestions, PATIENCE);
        long[] latencies = new long[pacedQuestions];
        for (int i = 0; i < pacedQuestions; i++) {
            latencies[i] = watcher.seenAt("lat-" + i) - sentAt[i];
        }
        return new Latencies(latencies);
    }

    /**
     * Parking throughput (a backlog published before the worker starts, the breaker forced open), then park latency
     * at a steady load: from publishing a question to its park record being visible to a read_committed consumer.
     */
    private double parking() throws Exception {
        Settings settings = cluster.run("park", Map.of());
        Topics topics = Topics.from(settings);
        cluster.override(settings, "llm_service", BreakerOverride.Mode.FORCE_OPEN);
        cluster.publishQuestions(settings, "p", questions);
        try (OutputWatcher watcher = OutputWatcher.start(cluster.bootstrapServers(), topics.parkedQuestions().name());
             QaWorker worker = QaWorker.start(settings, error -> { })) {
            watcher.await(questions, PATIENCE);
            double rate = watcher.ratePerSecond();
            report.figure("park/throughput", rate, "questions/s", questions + " questions parked, llm_service forced open");

            Latencies park = paced(topics.questions().name(), watcher, questions);
            String what = pacedQuestions + " questions at " + PACED_PER_SECOND + "/s: published → park record visible"
                    + " (read_committed)";
            report.figure("park/latency-p50", park.millis(50), "ms", what);
            report.figure("park/latency-p99", park.millis(99), "ms", what);
            return rate;
        }
    }

    /** A backlog parked while the breaker is forced open, then drained once it is reset. */
    private double replay() throws Exception {
        // Parked while forced open, each record's not-before is the breaker's open time away: keep it short, so that
        // the drain starts when the override is lifted.
        Settings settings = cluster.run("replay", Map.of("qa.replay.rate.per.second", "1000000",
                "breaker.llm_service.open.seconds", "1"));
        Topics topics = Topics.from(settings);
        cluster.override(settings, "llm_service", BreakerOverride.Mode.FORCE_OPEN);
        cluster.publishQuestions(settings, "r", backlog);
        try (OutputWatcher parked = OutputWatcher.start(cluster.bootstrapServers(), topics.parkedQuestions().name());
             OutputWatcher answers = OutputWatcher.start(cluster.bootstrapServers(), topics.answers().name());
             QaWorker worker = QaWorker.start(settings, error -> { })) {
            parked.await(backlog, PATIENCE);
            cluster.override(settings, "llm_service", BreakerOverride.Mode.AUTO);
            answers.await(backlog, PATIENCE);
            return answers.ratePerSecond();
        }
    }

    /** A producer that sends each record at once: for latency. */
    private KafkaProducer<byte[], byte[]> promptProducer() {
        Map<String, Object> props = new HashMap<>(KafkaClients.producer(
                new KafkaSettings(cluster.bootstrapServers(), Map.of()), "bench-paced"));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
