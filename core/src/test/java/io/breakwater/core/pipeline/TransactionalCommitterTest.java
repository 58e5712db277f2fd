package io.breakwater.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import io.breakwater.core.pipeline.TransactionalCommitter.Committed;
import io.breakwater.core.pipeline.TransactionalCommitter.Fatal;
import io.breakwater.core.pipeline.TransactionalCommitter.Outcome;
import io.breakwater.core.pipeline.TransactionalCommitter.Retry;

/** The committer's answers, driven with Kafka's {@link MockProducer}: no broker, no waiting. */
class TransactionalCommitterTest {

    private static final Duration COMMIT_RETRY = Duration.ofMinutes(2);
    private static final TopicPartition INPUT = new TopicPartition("in", 0);
    private static final Map<TopicPartition, OffsetAndMetadata> OFFSETS = Map.of(INPUT, new OffsetAndMetadata(8));
    private static final ConsumerGroupMetadata GROUP = new ConsumerGroupMetadata("group");
    private static final List<ProducerRecord<byte[], byte[]>> OUTPUTS = List.of(output("a"), output("b"));

    /** Producers the test prepared, handed out in order; then fresh ones. Every producer made is in {@link #made}. */
    private final Deque<MockProducer<byte[], byte[]>> prepared = new ArrayDeque<>();
    private final List<MockProducer<byte[], byte[]>> made = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong nanos = new AtomicLong();

    @Test
    void shouldCommitTheOutputsWithTheOffsetsInOneTransaction() {
        TransactionalCommitter committer = committer();
        List<String> steps = new ArrayList<>();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> steps.add("stored"));

        assertThat(outcome).isInstanceOf(Committed.class);
        assertThat(steps).containsExactly("stored");
        MockProducer<byte[], byte[]> producer = made.get(0);
        assertThat(producer.transactionCommitted()).isTrue();
        assertThat(producer.history()).extracting(ProducerRecord::topic).containsExactly("out", "out");
        assertThat(producer.consumerGroupOffsetsHistory()).containsExactly(Map.of("group", OFFSETS));
    }

    @Test
    void shouldCountTheTimeFromTheStepBeforeTheTransactionToTheCommit() {
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> nanos.addAndGet(Duration.ofMillis(40).toNanos()));

        assertThat(outcome).isEqualTo(new Committed(Duration.ofMillis(40)));
    }

    @Test
    void shouldAbortAndAskForRewindWhenASendFails() {
        MockProducer<byte[], byte[]> producer = prepare(new MockProducer<>(true, null, bytes(), bytes()));
        producer.sendException = new KafkaException("the broker refused the record");
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry -> {
            assertThat(retry.why()).startsWith("transaction failed: ").contains("the broker refused the record");
            assertThat(retry.outcomeUnknown()).as("rewind to the batch, not to the group's offsets").isFalse();
            assertThat(retry.recordFault()).isNull();
        });
        assertThat(producer.transactionAborted()).isTrue();
        assertThat(producer.history()).isEmpty();
        assertThat(producer.consumerGroupOffsetsHistory()).isEmpty();
        assertThat(made).as("an aborted transaction keeps its producer").containsExactly(producer);
    }

    @Test
    void shouldNameTheRecordTooLargeAsTheRecordsFaultWhenItsSendFails() {
        MockProducer<byte[], byte[]> producer = prepare(new MockProducer<>(true, null, bytes(), bytes()));
        producer.sendException = new KafkaException("cannot send",
                new RecordTooLargeException("the message is 2000000 bytes"));
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry ->
                assertThat(retry.recordFault()).isInstanceOf(RecordTooLargeException.class));
        assertThat(producer.transactionAborted()).isTrue();
    }

    @Test
    void shouldAbortAndAskForRewindWhenTheCommitThrows() {
        MockProducer<byte[], byte[]> producer = prepare(new MockProducer<>(true, null, bytes(), bytes()));
        producer.commitTransactionException = new KafkaException("the coordinator moved");
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry -> {
            assertThat(retry.why()).startsWith("transaction failed: ").contains("the coordinator moved");
            assertThat(retry.outcomeUnknown()).isFalse();
        });
        assertThat(producer.transactionAborted()).isTrue();
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void shouldStartANewProducerWhenTheAbortFailsToo() {
        MockProducer<byte[], byte[]> producer = prepare(new MockProducer<>(true, null, bytes(), bytes()));
        producer.commitTransactionException = new KafkaException("the coordinator moved");
        producer.abortTransactionException = new KafkaException("still moving");
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOf(Retry.class);
        assertThat(producer.closed()).isTrue();
        assertThat(made).hasSize(2);
        assertThat(made.get(1).transactionInitialized()).isTrue();
    }

    @Test
    void shouldReplaceTheProducerAndAskForRewindWhenFenced() {
        TransactionalCommitter committer = committer();
        MockProducer<byte[], byte[]> fenced = made.get(0);
        fenced.fenceProducer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry -> {
            assertThat(retry.why()).startsWith("fenced: ");
            assertThat(retry.outcomeUnknown()).isFalse();
        });
        assertThat(fenced.closed()).isTrue();
        assertThat(made).hasSize(2);
        MockProducer<byte[], byte[]> successor = made.get(1);
        assertThat(successor.transactionInitialized()).isTrue();

        assertThat(committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { })).isInstanceOf(Committed.class);
        assertThat(successor.history()).hasSize(2);
    }

    @Test
    void shouldTreatAnInvalidProducerEpochAsAFence() {
        MockProducer<byte[], byte[]> producer = prepare(new MockProducer<>(true, null, bytes(), bytes()));
        producer.commitTransactionException = new InvalidProducerEpochException("epoch 3 is stale");
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry -> assertThat(retry.why()).startsWith("fenced: "));
        assertThat(producer.closed()).isTrue();
        assertThat(made).hasSize(2);
    }

    @Test
    void shouldBeFatalWhenKafkaRefusesTheTransactionalId() {
        MockProducer<byte[], byte[]> producer = prepare(new MockProducer<>(true, null, bytes(), bytes()));
        producer.beginTransactionException = new TransactionalIdAuthorizationException("not allowed: tx-1");
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOfSatisfying(Fatal.class, fatal ->
                assertThat(fatal.failure()).isInstanceOf(TransactionalIdAuthorizationException.class));
    }

    @Test
    void shouldAskForRewindWithoutBeginningATransactionWhenTheStepBeforeItFails() {
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> {
            throw new IllegalStateException("the store is down");
        });

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry ->
                assertThat(retry.why()).isEqualTo("cannot finish a batch before its commit: "
                        + "java.lang.IllegalStateException: the store is down"));
        MockProducer<byte[], byte[]> producer = made.get(0);
        assertThat(producer.transactionInFlight()).isFalse();
        assertThat(producer.transactionAborted()).isFalse();
        assertThat(producer.closed()).isFalse();
    }

    @Test
    void shouldRetryACommitThatTimesOutUntilItGoesThrough() {
        AtomicInteger attempts = new AtomicInteger();
        MockProducer<byte[], byte[]> producer = prepare(timingOut(attempts, 2));
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOf(Committed.class);
        assertThat(attempts).hasValue(3);
        assertThat(producer.history()).hasSize(2);
        assertThat(made).containsExactly(producer);
    }

    @Test
    void shouldCallTheOutcomeUnknownAndReplaceTheProducerWhenTheCommitTimesOutPastTheRetryTime() {
        AtomicInteger attempts = new AtomicInteger();
        MockProducer<byte[], byte[]> producer = prepare(timingOut(attempts, Integer.MAX_VALUE));
        TransactionalCommitter committer = committer();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry -> {
            assertThat(retry.outcomeUnknown()).as("resume from the group's committed offsets").isTrue();
            assertThat(retry.why()).contains("the commit's outcome is unknown");
        });
        // One minute passes at each attempt: attempts at 1 and 2 minutes are within the 2 minutes, the third is not.
        assertThat(attempts).hasValue(3);
        assertThat(producer.closed()).isTrue();
        assertThat(made).hasSize(2);
    }

    @Test
    void shouldNotRetryACommitThatTimesOutWhileTheLoopIsStopping() {
        AtomicInteger attempts = new AtomicInteger();
        prepare(timingOut(attempts, Integer.MAX_VALUE));
        TransactionalCommitter committer = committer();
        running.set(false);

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry -> assertThat(retry.outcomeUnknown()).isTrue());
        assertThat(attempts).hasValue(1);
    }

    @Test
    void shouldCloseAProducerWhoseInitTransactionsFails() {
        MockProducer<byte[], byte[]> unreachable = prepare(new MockProducer<>(true, null, bytes(), bytes()));
        unreachable.initTransactionException = new TimeoutException("Kafka did not answer in 500 ms");

        assertThatThrownBy(this::committer).isInstanceOf(TimeoutException.class);

        assertThat(unreachable.closed()).isTrue();
    }

    @Test
    void shouldCloseAReplacementWhoseInitTransactionsFailsAndMakeOneAgainAtTheNextCommit() {
        TransactionalCommitter committer = committer();
        made.get(0).fenceProducer();
        MockProducer<byte[], byte[]> unreachable = prepare(new MockProducer<>(true, null, bytes(), bytes()));
        unreachable.initTransactionException = new TimeoutException("Kafka did not answer in 500 ms");

        assertThat(committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { })).isInstanceOf(Retry.class);
        assertThat(unreachable.closed()).isTrue();

        assertThat(committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { })).isInstanceOf(Committed.class);
        assertThat(made).hasSize(3);
        assertThat(made.get(2).history()).hasSize(2);
    }

    @Test
    void shouldAskForRewindWithoutRunningTheStepBeforeTheTransactionWhileNoProducerCanBeMade() {
        TransactionalCommitter committer = committer();
        made.get(0).fenceProducer();
        for (int i = 0; i < 2; i++) {
            prepare(new MockProducer<>(true, null, bytes(), bytes())).initTransactionException =
                    new TimeoutException("Kafka did not answer in 500 ms");
        }
        committer.commit(OUTPUTS, OFFSETS, GROUP, () -> { });
        AtomicBoolean stored = new AtomicBoolean();

        Outcome outcome = committer.commit(OUTPUTS, OFFSETS, GROUP, () -> stored.set(true));

        assertThat(outcome).isInstanceOfSatisfying(Retry.class, retry ->
                assertThat(retry.why()).startsWith("transaction failed: ").contains("Kafka did not answer"));
        assertThat(stored).isFalse();
        assertThat(made).hasSize(3).allSatisfy(producer -> assertThat(producer.closed()).isTrue());
    }

    @Test
    void shouldCloseItsProducerOnClose() {
        TransactionalCommitter committer = committer();

        committer.close();

        assertThat(made.get(0).closed()).isTrue();
    }

    private TransactionalCommitter committer() {
        return new TransactionalCommitter("test", "tx-1", () -> {
            MockProducer<byte[], byte[]> producer = prepared.isEmpty()
                    ? new MockProducer<>(true, null, bytes(), bytes()) : prepared.removeFirst();
            made.add(producer);
            return producer;
        }, running::get, COMMIT_RETRY, nanos::get);
    }

    private MockProducer<byte[], byte[]> prepare(MockProducer<byte[], byte[]> producer) {
        prepared.addLast(producer);
        return producer;
    }

    /** A producer whose first {@code failures} commits time out, each a minute after the last. */
    private MockProducer<byte[], byte[]> timingOut(AtomicInteger attempts, int failures) {
        return new MockProducer<>(true, null, bytes(), bytes()) {
            @Override
            public void commitTransaction() {
                nanos.addAndGet(Duration.ofMinutes(1).toNanos());
                if (attempts.incrementAndGet() <= failures) {
                    throw new TimeoutException("the commit timed out after 60000 ms");
                }
                super.commitTransaction();
            }
        };
    }

    private static ByteArraySerializer bytes() {
        return new ByteArraySerializer();
    }

    private static ProducerRecord<byte[], byte[]> output(String value) {
        return new ProducerRecord<>("out", value.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }
}
