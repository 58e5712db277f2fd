package io.breakwater.core.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.breakwater.core.crawl.CrawlStatus;
import io.breakwater.core.health.BreakerOverride;
import io.breakwater.core.health.BreakerState;

/** Every event enum is written in lower case and read back strictly, saying what it accepts. */
class WireNamesTest {

    @Test
    void shouldWriteEveryConstantInLowerCaseAndReadItBack() {
        assertThat(BreakerState.HALF_OPEN.json()).isEqualTo("half_open");
        assertThat(BreakerState.of("half_open")).isEqualTo(BreakerState.HALF_OPEN);
        assertThat(BreakerOverride.Mode.of("force_open")).isEqualTo(BreakerOverride.Mode.FORCE_OPEN);
        assertThat(QuestionStatus.fromWireName("answered")).isEqualTo(QuestionStatus.ANSWERED);
        assertThat(CrawlStatus.of(CrawlStatus.FETCHED.json())).isEqualTo(CrawlStatus.FETCHED);
    }

    @Test
    void shouldRefuseAnyOtherSpellingNamingWhatItAccepts() {
        assertThatThrownBy(() -> BreakerState.of("OPEN"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("state must be one of closed, half_open, open but was 'OPEN'");
        assertThatThrownBy(() -> QuestionStatus.fromWireName(null))
                .hasMessage("status must be one of queued, parked, answered, failed but was 'null'");
    }
}
