package io.breakwater.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class WaitingTest {

    @Test
    void shouldHoldAPartitionWhoseRecordIsDueInCenturiesWithoutOverflowing() {
        Waiting waiting = new Waiting();
        waiting.add(new ConsumerRecord<>("parked", 0, 7, new byte[0], new byte[0]));
        List<ConsumerRecord<byte[], byte[]>> admitted = new ArrayList<>();
        Admission forever = new Admission() {
            @Override
            public int capacity() {
                return 10;
            }

            @Override
            public Duration holdFor(ConsumerRecord<byte[], byte[]> record) {
                return Duration.ofSeconds(Long.MAX_VALUE);
            }
        };

        waiting.admit(forever, () -> 10, admitted::add);
        waiting.admit(forever, () -> 10, admitted::add);

        assertThat(admitted).isEmpty();
        assertThat(waiting.firstOffsets()).containsValue(7L);
    }

    @Test
    void shouldHandARecordOnWhenTheAdmissionCannotReadIt() {
        Waiting waiting = new Waiting();
        waiting.add(new ConsumerRecord<>("parked", 0, 3, new byte[0], "not a job".getBytes()));
        List<ConsumerRecord<byte[], byte[]>> admitted = new ArrayList<>();
        Admission choking = new Admission() {
            @Override
            public int capacity() {
                return 10;
            }

            @Override
            public Duration holdFor(ConsumerRecord<byte[], byte[]> record) {
                throw new IllegalArgumentException("no host in 'not a job'");
            }
        };

        waiting.admit(choking, () -> 10, admitted::add);

        assertThat(admitted).extracting(ConsumerRecord::offset).containsExactly(3L);
    }
}
