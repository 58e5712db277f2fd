package io.breakwater.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.metrics.ProcessMetrics;

class LoopMetricsTest {

    @Test
    void shouldCountParkedReplayedAndDeadLetteredRecordsByTheLoopsTopics() {
        LoopSettings replay = new LoopSettings("lm-replay", List.of("lm.parked"), "lm.dlq", "lm-group", "lm-tx", 1,
                Duration.ofMillis(50), "lm.parked");
        LoopListener metrics = LoopMetrics.of(replay);

        metrics.committed(new LoopListener.CommittedBatch(Map.of("lm.parked", 3L),
                Map.of("lm.parked", 1L, "lm.dlq", 2L, "lm.answers", 4L), Duration.ofMillis(5)));

        assertThat(ProcessMetrics.scrape())
                .contains("breakwater_records_processed_total{loop=\"lm-replay\",topic=\"lm.parked\"} 3.0")
                .contains("breakwater_records_replayed_total{topic=\"lm.parked\"} 3.0")
                .contains("breakwater_records_parked_total{topic=\"lm.parked\"} 1.0")
                .contains("breakwater_records_dead_lettered_total{topic=\"lm.dlq\"} 2.0")
                .contains("breakwater_commit_records_count{loop=\"lm-replay\"} 1")
                .doesNotContain("lm.answers");
    }

    @Test
    void shouldCountNothingAsParkedForALoopThatParksNothing() {
        LoopSettings plain = new LoopSettings("lm-plain", List.of("lm2.in"), "lm2.dlq", "lm2-group", "lm2-tx", 1,
                Duration.ofMillis(50));
        LoopListener metrics = LoopMetrics.of(plain);

        metrics.committed(new LoopListener.CommittedBatch(Map.of("lm2.in", 1L), Map.of("lm2.out", 1L),
                Duration.ofMillis(5)));

        assertThat(ProcessMetrics.scrape())
                .contains("breakwater_records_processed_total{loop=\"lm-plain\",topic=\"lm2.in\"} 1.0")
                .doesNotContain("breakwater_records_replayed_total{topic=\"lm2.in\"}")
                .doesNotContain("lm2.out");
    }
}
