package io.breakwater.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Raw settings in layers, later ones winning: the defaults each typed settings record names, then an optional
 * properties file ({@code BW_CONFIG_FILE}), then {@code BW_*} environment variables, then overrides set in code
 * (the launcher pointing services at its embedded servers).
 *
 * <p>A key is dotted lower case, {@code kafka.bootstrap}; its variable is {@code BW_} plus the key upper-cased with
 * dots as underscores, {@code BW_KAFKA_BOOTSTRAP}. A properties file may use either form. Immutable and thread-safe.
 */
public final class Settings {

    public static final String VARIABLE_PREFIX = "BW_";
    public static final String CONFIG_FILE_VARIABLE = "BW_CONFIG_FILE";

    private final Map<String, String> environment;
    private final Map<String, String> file;
    private final Map<String, String> overrides;

    private Settings(Map<String, String> environment, Map<String, String> file, Map<String, String> overrides) {
        this.environment = Map.copyOf(environment);
        this.file = Map.copyOf(file);
        this.overrides = Map.copyOf(overrides);
    }

    /** Settings from this process's environment and the file it names, if any. */
    public static Settings fromEnvironment() {
        return load(System.getenv());
    }

    /**
     * Settings from the given environment and the properties file its {@code BW_CONFIG_FILE} names, if any.
     *
     * @throws ConfigException if the named file cannot be read
     */
    public static Settings load(Map<String, String> environment) {
        String fileName = environment.get(CONFIG_FILE_VARIABLE);
        Map<String, String> file = fileName == null || fileName.isBlank() ? Map.of() : readFile(Path.of(fileName));
        return new Settings(environment, file, Map.of());
    }

    /** Settings made of the given keys alone: for tests and embedding. */
    public static Settings of(Map<String, String> values) {
        return new Settings(Map.of(), Map.of(), values);
    }

    /** These settings with {@code key} set to {@code value} above every other layer. */
    public Settings with(String key, String value) {
        Map<String, String> merged = new HashMap<>(overrides);
        merged.put(key, value);
        return new Settings(environment, file, merged);
    }

    /** These settings with every entry of {@code values} set above every other layer. */
    public Settings with(Map<String, String> values) {
        Map<String, String> merged = new HashMap<>(overrides);
        merged.putAll(values);
        return new Settings(environment, file, merged);
    }

    /** The environment variable that sets {@code key}. */
    public static String variableName(String key) {
        return VARIABLE_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Optional<String> find(String key) {
        String value = overrides.get(key);
        if (value == null) {
            value = environment.get(variableName(key));
        }
        if (value == null) {
            value = file.get(key);
        }
        if (value == null) {
            value = file.get(variableName(key));
        }
        return Optional.ofNullable(value).map(String::strip).filter(v -> !v.isEmpty());
    }

    /** Whether any layer but the defaults sets {@code key}. */
    public boolean isSet(String key) {
        return find(key).isPresent();
    }

    public String string(String key, String defaultValue) {
        return find(key).orElse(defaultValue);
    }

    public int integer(String key, int defaultValue) {
        return find(key).map(value -> parseInt(key, value)).orElse(defaultValue);
    }

    public boolean bool(String key, boolean defaultValue) {
        return find(key).map(value -> switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw invalid(key, value, "true or false");
        }).orElse(defaultValue);
    }

    /** A duration given in seconds, decimals allowed ({@code 0.25} is 250 ms). */
    public Duration seconds(String key, Duration defaultValue) {
        return find(key).map(value -> parseSeconds(key, value)).orElse(defaultValue);
    }

    /**
     * Every setting under {@code prefix} (a dotted key ending in a dot), keyed by the rest of its key: from the file
     * in either form and from variables, whose rest is lower-cased with underscores as dots. Used for pass-through
     * client properties such as {@code kafka.client.security.protocol}.
     */
    public Map<String, String> withPrefix(String prefix) {
        String variablePrefix = variableName(prefix);
        Map<String, String> result = new TreeMap<>();
        file.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                result.put(key.substring(prefix.length()), value.strip());
            } else if (key.startsWith(variablePrefix)) {
                result.put(propertyName(key.substring(variablePrefix.length())), value.strip());
            }
        });
        environment.forEach((key, value) -> {
            if (key.startsWith(variablePrefix)) {
                result.put(propertyName(key.substring(variablePrefix.length())), value.strip());
            }
        });
        overrides.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                result.put(key.substring(prefix.length()), value.strip());
            }
        });
        return result;
    }

    /**
     * This process's name among the instances of a service: {@code instance.id}, by default the host name (a
     * container's id under Docker). Stable across restarts, so a restarted worker takes over its own transactions.
     */
    public String instanceId() {
        return find("instance.id").orElseGet(Settings::hostName);
    }

    private static String hostName() {
        return HostName.NAME;
    }

    /** Looked up once per process: a host whose name resolves slowly must not pay for it on every use. */
    private static final class HostName {
        private static final String NAME = lookUp();

        private static String lookUp() {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                return "localhost";
            }
        }
    }

    /** A failure for {@code key} whose {@code value} is not {@code expected}, naming the key and its variable. */
    public static ConfigException invalid(String key, Object value, String expected) {
        return new ConfigException("Setting " + key + " (" + variableName(key) + ") must be " + expected
                + " but was '" + value + "'");
    }

    private static String propertyName(String variableSuffix) {
        return variableSuffix.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static int parseInt(String key, String value) {
        try {
            return Integer.parseInt(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw invalid(key, value, "a whole number");
        }
    }

    private static Duration parseSeconds(String key, String value) {
        try {
            double seconds = Double.parseDouble(value);
            if (seconds < 0 || Double.isNaN(seconds) || Double.isInfinite(seconds)) {
                throw invalid(key, value, "a number of seconds, zero or more");
            }
            return Duration.ofNanos(Math.round(seconds * 1_000_000_000d));
        } catch (NumberFormatException e) {
            throw invalid(key, value, "a number of seconds such as 30 or 0.5");
        }
    }

    private static Map<String, String> readFile(Path path) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException("Cannot read the settings file " + path + " named by " + CONFIG_FILE_VARIABLE
                    + ": " + e.getMessage(), e);
        }
        Map<String, String> values = new HashMap<>();
        properties.forEach((key, value) -> values.put(key.toString(), value.toString()));
        return values;
    }
}
