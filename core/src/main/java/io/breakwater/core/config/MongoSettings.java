package io.breakwater.core.config;

import java.util.Objects;

/**
 * Where MongoDB is.
 *
 * @param uri {@code mongo.uri} ({@code BW_MONGO_URI}), default {@value #DEFAULT_URI}
 * @param database {@code mongo.database} ({@code BW_MONGO_DATABASE}), default {@value #DEFAULT_DATABASE}
 */
public record MongoSettings(String uri, String database) {

    public static final String URI = "mongo.uri";
    public static final String DATABASE = "mongo.database";
    public static final String DEFAULT_URI = "mongodb://127.0.0.1:27017";
    public static final String DEFAULT_DATABASE = "breakwater";

    public MongoSettings {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(database, "database");
        if (!uri.startsWith("mongodb://") && !uri.startsWith("mongodb+srv://")) {
            throw Settings.invalid(URI, uri, "a mongodb:// or mongodb+srv:// connection string");
        }
        if (database.isBlank()) {
            throw Settings.invalid(DATABASE, database, "a database name");
        }
    }

    public static MongoSettings from(Settings settings) {
        return new MongoSettings(settings.string(URI, DEFAULT_URI), settings.string(DATABASE, DEFAULT_DATABASE));
    }
}
