package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.breakwater.core.time.OutsideTime;

/** OpenAI's reset times, read as the endpoint wrote them, and never trusted past the clamp. */
class RateLimitHeadersTest {

    @Test
    void shouldReadOpenAisResetTimes() {
        assertThat(OpenAiAnswerer.resetIn("1s")).contains(Duration.ofSeconds(1));
        assertThat(OpenAiAnswerer.resetIn("6m0s")).contains(Duration.ofMinutes(6));
        assertThat(OpenAiAnswerer.resetIn("1m30.5s")).contains(Duration.ofMillis(90_500));
        assertThat(OpenAiAnswerer.resetIn("250ms")).contains(Duration.ofMillis(250));
        assertThat(OpenAiAnswerer.resetIn("2h")).as("clamped").contains(OutsideTime.MAX_RETRY_AFTER);
    }

    @Test
    void shouldIgnoreWhatIsNoResetTime() {
        assertThat(OpenAiAnswerer.resetIn("")).isEmpty();
        assertThat(OpenAiAnswerer.resetIn("soon")).isEmpty();
        assertThat(OpenAiAnswerer.resetIn("-5s")).isEmpty();
        assertThat(OpenAiAnswerer.resetIn("9".repeat(40) + "s")).isEmpty();
        assertThat(OpenAiAnswerer.resetIn("1e9s")).isEmpty();
    }

    @Test
    void shouldReadRetryAfterMsClampedWhateverItSays() {
        assertThat(OpenAiAnswerer.millis("1500")).contains(Duration.ofMillis(1500));
        assertThat(OpenAiAnswerer.millis("-20")).contains(Duration.ZERO);
        assertThat(OpenAiAnswerer.millis("9".repeat(400))).contains(OutsideTime.MAX_RETRY_AFTER);
        assertThat(OpenAiAnswerer.millis("1.5")).isEmpty();
        assertThat(OpenAiAnswerer.millis("soon")).isEmpty();
    }
}
