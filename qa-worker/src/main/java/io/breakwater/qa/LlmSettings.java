package io.breakwater.qa;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * @param contextTokens {@code llm.context.tokens} ({@code BW_LLM_CONTEXT_TOKENS}): the model's context window, if
 *     set; a question whose prompt would not fit (with room for the answer) skips this deployment; 0 when not set
 */
public record LlmSettings(Optional<URI> url, String model, Optional<String> apiKey, int contextTokens) {

    public LlmSettings {
        if (contextTokens < 0) {
            throw new IllegalArgumentException("contextTokens must be 0 (not set) or more, but was " + contextTokens);
        }
    }

    /** A deployment whose context window is not set. */
    public LlmSettings(Optional<URI> url, String model, Optional<String> apiKey) {
        this(url, model, apiKey, 0);
    }

    public static final String URL = "llm.url";
    public static final String MODEL = "llm.model";
    public static final String API_KEY = "llm.api.key";
    /** The first fallback's prefix; the n-th (n ≥ 2) is {@code llm.fallback.<n>}. */
    static final String FALLBACK = "llm.fallback";
    /** The smallest context window that can be set: a question and an answer need some room. */
    static final int MIN_CONTEXT_TOKENS = 512;
    /** Fallbacks after the primary, at most. */
    static final int MAX_FALLBACKS = 8;

    /** The primary deployment ({@code BW_LLM_*}). */
    public static LlmSettings from(Settings settings) {
        return from(settings, "llm");
    }

    /**
     * The primary deployment and its fallbacks, in the order they are tried: {@code BW_LLM_*}, then
     * {@code BW_LLM_FALLBACK_*}, then {@code BW_LLM_FALLBACK_2_*} up to {@code BW_LLM_FALLBACK_8_*}, each with its URL,
     * model and API key. A fallback needs a primary with a URL, and the numbers run without a gap.
     */
    static List<LlmSettings> chain(Settings settings) {
        refuseStrayFallbackSettings(settings);
        List<LlmSettings> chain = new ArrayList<>(List.of(from(settings)));
        for (int n = 1; n <= MAX_FALLBACKS + 1; n++) {
            String prefix = fallbackPrefix(n);
            if (settings.find(prefix + ".url").isEmpty()) {
                for (int later = n + 1; later <= MAX_FALLBACKS + 1; later++) {
                    if (settings.find(fallbackPrefix(later) + ".url").isPresent()) {
                        throw new ConfigException("Setting " + Settings.variableName(fallbackPrefix(later) + ".url")
                                + " is set but " + Settings.variableName(prefix + ".url") + " is not: number the"
                                + " fallbacks without a gap");
                    }
                }
                break;
            }
            if (n > MAX_FALLBACKS) {
                throw new ConfigException("At most " + MAX_FALLBACKS + " LLM fallbacks, but "
                        + Settings.variableName(prefix + ".url") + " is set");
            }
            if (chain.get(0).url().isEmpty()) {
                throw new ConfigException("Setting " + Settings.variableName(prefix + ".url") + " needs a primary LLM:"
                        + " set " + Settings.variableName(URL) + " (and " + Settings.variableName(MODEL) + ") too");
            }
            chain.add(from(settings, prefix));
        }
        return List.copyOf(chain);
    }

    /**
     * Refuses a fallback setting that could never take effect: a name other than {@code url}, {@code model} or
     * {@code api.key}, a number outside 2 to {@value #MAX_FALLBACKS} ({@code BW_LLM_FALLBACK_1_*} is spelled
     * {@code BW_LLM_FALLBACK_*}), or a model or key without the URL it belongs to.
     */
    private static void refuseStrayFallbackSettings(Settings settings) {
        for (String rest : settings.withPrefix(FALLBACK + ".").keySet()) {
            Matcher key = STRAY.matcher(rest);
            String variable = Settings.variableName(FALLBACK + "." + rest);
            if (!key.matches()) {
                throw new ConfigException("Setting " + variable + " is not one Breakwater knows: a fallback has a URL,"
                        + " a MODEL, an API_KEY and a CONTEXT_TOKENS, numbered BW_LLM_FALLBACK_* then BW_LLM_FALLBACK_2_* to _"
                        + MAX_FALLBACKS + "_*");
            }
            int n = key.group(1) == null ? 1 : Integer.parseInt(key.group(1));
            if (key.group(1) != null && (n < 2 || n > MAX_FALLBACKS)) {
                throw new ConfigException("Setting " + variable + " names fallback " + n + " ("
                        + Settings.variableName(FALLBACK + "." + n + ".url") + " and the like): the first is spelled"
                        + " BW_LLM_FALLBACK_*, the others BW_LLM_FALLBACK_2_* to _" + MAX_FALLBACKS + "_*");
            }
            if (!key.group(2).equals("url") && settings.find(fallbackPrefix(n) + ".url").isEmpty()) {
                throw new ConfigException("Setting " + variable + " is set but "
                        + Settings.variableName(fallbackPrefix(n) + ".url") + " is not: a fallback needs its URL");
            }
        }
    }

    /** The rest of a fallback setting's key: an optional number, then what it sets. */
    private static final Pattern STRAY = Pattern.compile("(?:(\\d{1,3})\\.)?(url|model|api\\.key|context\\.tokens)");

    /** The prefix of the n-th fallback's settings: {@code llm.fallback}, then {@code llm.fallback.2} and on. */
    static String fallbackPrefix(int n) {
        return n == 1 ? FALLBACK : FALLBACK + "." + n;
    }

    private static LlmSettings from(Settings settings, String prefix) {
        String urlKey = prefix + ".url";
        String modelKey = prefix + ".model";
        Optional<URI> url = settings.find(urlKey).map(value -> parseUrl(urlKey, value));
        Optional<String> model = settings.find(modelKey);
        if (url.isPresent() && model.isEmpty()) {
            throw new ConfigException("Setting " + modelKey + " (" + Settings.variableName(modelKey) + ") is required"
                    + " when " + Settings.variableName(urlKey) + " is set: name the model to ask, for example llama3.2"
                    + " or gpt-4o-mini");
        }
        String windowKey = prefix + ".context.tokens";
        int contextTokens = settings.integer(windowKey, 0);
        if (contextTokens < 0 || contextTokens > 0 && contextTokens < MIN_CONTEXT_TOKENS) {
            throw Settings.invalid(windowKey, contextTokens, "a model's context window in tokens, at least "
                    + MIN_CONTEXT_TOKENS);
        }
        return new LlmSettings(url, model.orElse(""), settings.find(prefix + ".api.key"), contextTokens);
    }

    private static URI parseUrl(String key, String value) {
        try {
            URI uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw Settings.invalid(key, value, "an http:// or https:// URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw Settings.invalid(key, value, "an http:// or https:// URL");
        }
    }

    /** Renders without the API key. */
    @Override
    public String toString() {
        return "LlmSettings[url=" + url.map(URI::toString).orElse("(offline)") + ", model=" + model
                + ", apiKey=" + (apiKey.isPresent() ? "(set)" : "(none)")
                + (contextTokens > 0 ? ", contextTokens=" + contextTokens : "") + "]";
    }
}
