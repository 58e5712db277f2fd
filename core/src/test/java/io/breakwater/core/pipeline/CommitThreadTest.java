package io.breakwater.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.breakwater.core.pipeline.TransactionalCommitter.Committed;
import io.breakwater.core.pipeline.TransactionalCommitter.Retry;

class CommitThreadTest {

    private static final TopicPartition INPUT = new TopicPartition("in", 0);
    private static final ConsumerGroupMetadata GROUP = new ConsumerGroupMetadata("group");

    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final TransactionalCommitter committer = new TransactionalCommitter("test", "tx-1", () -> producer,
            () -> true, TransactionalCommitter.DEFAULT_COMMIT_RETRY, new AtomicLong()::get);
    private final List<String> stored = new ArrayList<>();
    private final List<LoopListener.CommittedBatch> heard = new ArrayList<>();
    private CommitThread<String> commits;

    @AfterEach
    void stop() {
        commits.stop(Duration.ofSeconds(5));
    }

    @Test
    void shouldStoreTheResultsCommitAndTellTheListenerWhatCommitted() {
        commits = new CommitThread<>("test", committer, handler(), new LoopListener() {
            @Override
            public void committed(CommittedBatch batch) {
                heard.add(batch);
            }
        }, () -> { });

        commits.submit(batch("parked", "dlq"), GROUP);
        CommitThread.Finished<String> finished = commits.take(true);

        assertThat(finished.outcome()).isInstanceOf(Committed.class);
        assertThat(stored).containsExactly("a", "b");
        assertThat(commits.busy()).isFalse();
        assertThat(heard).singleElement().satisfies(batch -> {
            assertThat(batch.inputsByTopic()).isEqualTo(Map.of("in", 2L));
            assertThat(batch.outputsByTopic()).isEqualTo(Map.of("parked", 1L, "dlq", 1L));
        });
    }

    @Test
    void shouldTellTheListenerNothingWhenTheTransactionAborts() {
        producer.commitTransactionException = new org.apache.kafka.common.KafkaException("the coordinator moved");
        commits = new CommitThread<>("test", committer, handler(), new LoopListener() {
            @Override
            public void committed(CommittedBatch batch) {
                heard.add(batch);
            }
        }, () -> { });

        commits.submit(batch("out", "out"), GROUP);

        assertThat(commits.take(true).outcome()).isInstanceOf(Retry.class);
        assertThat(heard).isEmpty();
    }

    /**
     * Metrics were counted inside the transaction's error handling: a counter that threw after the commit went
     * through would have read as a failed commit, and the batch, already in, would have been handled and sent again.
     */
    @Test
    void shouldAnswerCommittedWhenTheListenerFailsAfterTheCommit() {
        commits = new CommitThread<>("test", committer, handler(), new LoopListener() {
            @Override
            public void committed(CommittedBatch batch) {
                throw new IllegalStateException("a counter that cannot count");
            }
        }, () -> { });

        commits.submit(batch("out", "out"), GROUP);

        assertThat(commits.take(true).outcome()).isInstanceOf(Committed.class);
        assertThat(producer.history()).hasSize(2);
    }

    private RecordHandler<String> handler() {
        return new RecordHandler<>() {
            @Override
            public String handle(ConsumerRecord<byte[], byte[]> record) {
                throw new UnsupportedOperationException("the commit thread handles nothing");
            }

            @Override
            public List<ProducerRecord<byte[], byte[]>> outputs(String result) {
                return List.of();
            }

            @Override
            public void beforeCommit(List<String> results) {
                stored.addAll(results);
            }
        };
    }

    private static InFlight.Batch<String> batch(String firstTopic, String secondTopic) {
        return new InFlight.Batch<>(List.of("a", "b"), List.of(output(firstTopic, "a"), output(secondTopic, "b")),
                Map.of(INPUT, new OffsetAndMetadata(12)), Map.of(INPUT, 10L), Map.of("in", 2L));
    }

    private static ProducerRecord<byte[], byte[]> output(String topic, String value) {
        return new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }
}
