package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.ConfigException;
import io.breakwater.core.config.Settings;

/** The LLM's deployments: BW_LLM_* first, then BW_LLM_FALLBACK_*, BW_LLM_FALLBACK_2_* and on, without gaps. */
class LlmSettingsTest {

    @Test
    void shouldReadThePrimaryThenEachFallbackInOrder() {
        List<LlmSettings> chain = LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary:11434/v1", "BW_LLM_MODEL", "llama3.2",
                "BW_LLM_FALLBACK_URL", "https://api.example/v1/", "BW_LLM_FALLBACK_MODEL", "gpt-4o-mini",
                "BW_LLM_FALLBACK_API_KEY", "sk-secret",
                "BW_LLM_FALLBACK_2_URL", "http://third:8080/v1", "BW_LLM_FALLBACK_2_MODEL", "tiny")));

        assertThat(chain).extracting(LlmSettings::model).containsExactly("llama3.2", "gpt-4o-mini", "tiny");
        assertThat(chain.get(1).url()).hasValueSatisfying(url -> assertThat(url).hasToString("https://api.example/v1"));
        assertThat(chain.get(1).apiKey()).contains("sk-secret");
        assertThat(chain.get(1).toString()).doesNotContain("sk-secret");
        assertThat(io.breakwater.core.config.Dependencies.llmFallback(1)).isEqualTo("llm_service_fallback");
        assertThat(io.breakwater.core.config.Dependencies.llmFallback(2)).isEqualTo("llm_service_fallback_2");
    }

    @Test
    void shouldBeThePrimaryAloneWithoutFallbacks() {
        assertThat(LlmSettings.chain(Settings.load(Map.of()))).hasSize(1);
    }

    @Test
    void shouldRefuseAGapInTheFallbacksAFallbackWithoutAPrimaryOrWithoutAModel() {
        assertThatThrownBy(() -> LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary/v1", "BW_LLM_MODEL", "m",
                "BW_LLM_FALLBACK_2_URL", "http://third/v1", "BW_LLM_FALLBACK_2_MODEL", "m"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BW_LLM_FALLBACK_URL");
        assertThatThrownBy(() -> LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_FALLBACK_URL", "http://backup/v1", "BW_LLM_FALLBACK_MODEL", "m"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BW_LLM_URL");
        assertThatThrownBy(() -> LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary/v1", "BW_LLM_MODEL", "m", "BW_LLM_FALLBACK_URL", "http://backup/v1"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BW_LLM_FALLBACK_MODEL");
        assertThatThrownBy(() -> LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary/v1", "BW_LLM_MODEL", "m", "BW_LLM_FALLBACK_URL", "ftp://backup"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BW_LLM_FALLBACK_URL");
    }

    @Test
    void shouldReadEachDeploymentsContextWindowAndRefuseOneTooSmallToHoldAQuestion() {
        List<LlmSettings> chain = LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary/v1", "BW_LLM_MODEL", "small", "BW_LLM_CONTEXT_TOKENS", "4096",
                "BW_LLM_FALLBACK_URL", "http://backup/v1", "BW_LLM_FALLBACK_MODEL", "big",
                "BW_LLM_FALLBACK_CONTEXT_TOKENS", "128000")));

        assertThat(chain).extracting(LlmSettings::contextTokens).containsExactly(4096, 128_000);
        assertThat(LlmSettings.chain(Settings.load(Map.of())).get(0).contextTokens()).as("not set").isZero();
        assertThatThrownBy(() -> LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary/v1", "BW_LLM_MODEL", "m", "BW_LLM_CONTEXT_TOKENS", "100"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BW_LLM_CONTEXT_TOKENS");
        assertThatThrownBy(() -> LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary/v1", "BW_LLM_MODEL", "m", "BW_LLM_FALLBACK_CONTEXT_TOKENS", "8192"))))
                .as("a window without its deployment").isInstanceOf(ConfigException.class)
                .hasMessageContaining("BW_LLM_FALLBACK_URL");
    }
}
