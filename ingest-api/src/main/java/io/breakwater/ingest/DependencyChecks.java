package io.breakwater.ingest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.client.MongoDatabase;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.concurrent.DaemonThreads;

/**
 * Whether Kafka and MongoDB answer, checked in the background every {@link #INTERVAL} so that {@code /health}
 * answers at once and never waits on a dead dependency itself.
 */
final class DependencyChecks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DependencyChecks.class);
    static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Admin admin;
    private final BreakerPolicy kafkaBreaker;
    private final MongoDatabase mongo;
    private final Clock clock;
    private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("bw-ingest-health"));
    private volatile Reachability kafka;
    private volatile Reachability mongodb;

    /** @param kafkaBreaker the API's Kafka breaker: opened when the probe fails, so POSTs fail at once */
    DependencyChecks(Admin admin, BreakerPolicy kafkaBreaker, MongoDatabase mongo, Clock clock) {
        this.admin = admin;
        this.kafkaBreaker = kafkaBreaker;
        this.mongo = mongo;
        this.clock = clock;
        Instant now = clock.instant();
        this.kafka = new Reachability(true, null, now);
        this.mongodb = new Reachability(true, null, now);
        checker.scheduleWithFixedDelay(this::checkAll, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    Reachability kafka() {
        return kafka;
    }

    Reachability mongodb() {
        return mongodb;
    }

    @Override
    public void close() {
        checker.shutdownNow();
        admin.close(Duration.ofSeconds(2));
    }

    private void checkAll() {
        Reachability kafkaNow = check("Kafka", () -> admin.describeCluster(new DescribeClusterOptions()
                .timeoutMs((int) TIMEOUT.toMillis())).nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        Reachability mongoNow = check("MongoDB", () -> mongo.runCommand(new Document("ping", 1)));
        if (kafkaNow.up()) {
            kafkaBreaker.untrip();
        } else {
            kafkaBreaker.trip("because the health probe found Kafka unreachable");
        }
        report("Kafka", kafka, kafkaNow);
        report("MongoDB", mongodb, mongoNow);
        kafka = kafkaNow;
        mongodb = mongoNow;
    }

    private Reachability check(String what, Check check) {
        try {
            check.run();
            return new Reachability(true, null, clock.instant());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String cause = e.getCause() != null && e instanceof java.util.concurrent.ExecutionException
                    ? e.getCause().toString() : e.toString();
            return new Reachability(false, what + " did not answer within " + TIMEOUT.toSeconds() + " s: " + cause,
                    clock.instant());
        }
    }

    private static void report(String what, Reachability before, Reachability now) {
        if (before.up() && !now.up()) {
            log.warn("{} is unreachable: {}", what, now.error());
        } else if (!before.up() && now.up()) {
            log.info("{} answers again", what);
        }
    }

    @FunctionalInterface
    private interface Check {
        void run() throws Exception;
    }

    /**
     * @param up whether it answered the last check
     * @param error why not, when it did not
     * @param checkedAt when it was last checked
     */
    record Reachability(boolean up, String error, Instant checkedAt) {
    }
}
