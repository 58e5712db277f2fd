package io.breakwater.core.config;

/** A setting is missing, malformed or out of range. The message names the setting, its variable and the bad value. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
