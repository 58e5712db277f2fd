package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.ConfigException;
import io.breakwater.core.config.Settings;

/**
 * fallback settings that cannot take effect are dropped without a word, so the worker
 * starts with no fallback while the operator believes it has one. LlmSettings.chain stops at the first fallback
 * number without a URL and never looks at that number's model or API key, nor at BW_LLM_FALLBACK_1_* (a natural
 * spelling of "the first fallback") or numbers past 9. The primary, by contrast, refuses a URL without a model.
 */
class LlmSettingsStrayFallbackTest {

    @Test
    void shouldRefuseAFallbackModelWithoutAUrl() {
        // "same server, smaller model as the fallback": plausible, and silently ignored.
        assertThatThrownBy(() -> LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary/v1", "BW_LLM_MODEL", "llama3.1:70b",
                "BW_LLM_FALLBACK_MODEL", "llama3.2:3b"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BW_LLM_FALLBACK_URL");
    }

    @Test
    void shouldRefuseAFallbackNumberedOne() {
        assertThatThrownBy(() -> LlmSettings.chain(Settings.load(Map.of(
                "BW_LLM_URL", "http://primary/v1", "BW_LLM_MODEL", "m",
                "BW_LLM_FALLBACK_1_URL", "http://backup/v1", "BW_LLM_FALLBACK_1_MODEL", "m"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BW_LLM_FALLBACK_1_URL");
    }
}
