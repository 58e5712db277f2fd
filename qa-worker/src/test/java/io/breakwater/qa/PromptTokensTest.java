package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A prompt's tokens are estimated on the large side, whatever its script. */
class PromptTokensTest {

    @Test
    void shouldCountAboutATokenForFourLettersOfEnglish() {
        // 3 for the reply's priming, 4 for the message, 11 for its 43 letters and spaces, 1 for its full stop
        assertThat(PromptTokens.estimate("The quick brown fox jumps over the lazy dog.")).isEqualTo(19);
    }

    @Test
    void shouldCountDigitsAndPunctuationTwiceAsFinely() {
        assertThat(PromptTokens.estimate("3.14159265358979")).isEqualTo(3 + 4 + 8);
    }

    @Test
    void shouldCountEachCjkCharacterAsATokenAtLeast() {
        assertThat(PromptTokens.estimate("防波堤".repeat(1000))).isEqualTo(3 + 4 + 3000);
    }

    @Test
    void shouldCountACharacterOutsideTheBasicPlaneAsThree() {
        assertThat(PromptTokens.estimate("😀😀")).isEqualTo(3 + 4 + 6);
    }
}
