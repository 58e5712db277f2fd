package io.breakwater.launcher.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class FaultScheduleTest {

    @Test
    void shouldReplayTheSameScheduleFromTheSameSeed() {
        FaultSchedule first = FaultSchedule.generate(42, 1000, 20, 12, Duration.ofSeconds(4));
        FaultSchedule again = FaultSchedule.generate(42, 1000, 20, 12, Duration.ofSeconds(4));

        assertThat(again).isEqualTo(first);
        assertThat(FaultSchedule.generate(43, 1000, 20, 12, Duration.ofSeconds(4))).isNotEqualTo(first);
    }

    @Test
    void shouldHoldEveryKindOfFaultAndEveryInputOnce() {
        FaultSchedule schedule = FaultSchedule.generate(7, 1001, 21, 3, Duration.ofSeconds(4));

        assertThat(schedule.counts()).containsOnlyKeys(FaultSchedule.Kind.values());
        assertThat(schedule.steps().stream().mapToInt(FaultSchedule.Step::questions).sum() + schedule.tailQuestions())
                .isEqualTo(1001);
        assertThat(schedule.steps().stream().mapToInt(FaultSchedule.Step::crawlJobs).sum() + schedule.tailCrawlJobs())
                .isEqualTo(21);
        assertThat(schedule.steps()).allSatisfy(step -> assertThat(step.duration())
                .isBetween(Duration.ofSeconds(1), Duration.ofSeconds(4)));
        assertThat(schedule.repeatFaults()).isEqualTo(4);
    }
}
