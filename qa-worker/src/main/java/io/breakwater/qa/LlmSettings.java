package io.breakwater.qa;

import java.net.URI;
import java.util.Optional;

import io.breakwater.core.config.ConfigException;
import io.breakwater.core.config.Settings;

/**
 * Which language model answers. Without {@code llm.url} the built-in offline answerer does.
 *
 * @param url {@code llm.url} ({@code BW_LLM_URL}): an OpenAI-compatible base URL such as
 *     {@code http://localhost:11434/v1} (Ollama) or {@code https://api.openai.com/v1}; questions go to
 *     {@code {url}/chat/completions}
 * @param model {@code llm.model} ({@code BW_LLM_MODEL}): required with a URL
 * @param apiKey {@code llm.api.key} ({@code BW_LLM_API_KEY}): sent as a bearer token when set; never logged
 */
public record LlmSettings(Optional<URI> url, String model, Optional<String> apiKey) {

    public static final String URL = "llm.url";
    public static final String MODEL = "llm.model";
    public static final String API_KEY = "llm.api.key";

    public static LlmSettings from(Settings settings) {
        Optional<URI> url = settings.find(URL).map(LlmSettings::parseUrl);
        Optional<String> model = settings.find(MODEL);
        if (url.isPresent() && model.isEmpty()) {
            throw new ConfigException("Setting " + MODEL + " (" + Settings.variableName(MODEL) + ") is required when "
                    + Settings.variableName(URL) + " is set: name the model to ask, for example llama3.2 or gpt-4o-mini");
        }
        return new LlmSettings(url, model.orElse(""), settings.find(API_KEY));
    }

    private static URI parseUrl(String value) {
        try {
            URI uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw Settings.invalid(URL, value, "an http:// or https:// URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw Settings.invalid(URL, value, "an http:// or https:// URL");
        }
    }

    /** Renders without the API key. */
    @Override
    public String toString() {
        return "LlmSettings[url=" + url.map(URI::toString).orElse("(offline)") + ", model=" + model
                + ", apiKey=" + (apiKey.isPresent() ? "(set)" : "(none)") + "]";
    }
}
