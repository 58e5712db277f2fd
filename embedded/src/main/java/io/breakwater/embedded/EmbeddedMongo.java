package io.breakwater.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * A MongoDB wire-protocol server in this JVM (mongo-java-server), for {@code mongodb-driver-sync} clients.
 * Persistent on an H2 file, or in memory for tests. No change streams, sessions or transactions.
 * Not thread-safe: start and close from one thread.
 */
public final class EmbeddedMongo implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMongo.class);
    private static final String HOST = "127.0.0.1";

    private final MongoServer server;
    private final String connectionString;

    private EmbeddedMongo(MongoServer server, String connectionString) {
        this.server = server;
        this.connectionString = connectionString;
    }

    /**
     * Serves the database kept in {@code file}, created if missing, on {@code port} (0 for any free port).
     *
     * @throws IllegalStateException if the port is taken or the file is locked by another process
     */
    public static EmbeddedMongo persistent(Path file, int port) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create directory for " + file, e);
        }
        H2Backend backend;
        try {
            backend = new DurableH2Backend(file.toAbsolutePath().toString());
        } catch (RuntimeException e) {
            throw new IllegalStateException("Cannot open MongoDB data file " + file
                    + " (is another Breakwater using it?): " + e.getMessage(), e);
        }
        EmbeddedMongo mongo = bind(new MongoServer(backend), port);
        log.info("MongoDB wire server up at {}, data in {}", mongo.connectionString, file);
        return mongo;
    }

    /** A server whose data lives only as long as it runs. */
    public static EmbeddedMongo inMemory() {
        return bind(new MongoServer(H2Backend.inMemory()), 0);
    }

    private static EmbeddedMongo bind(MongoServer server, int port) {
        try {
            server.bind(HOST, port == 0 ? FreePort.find() : port);
        } catch (RuntimeException e) {
            server.shutdownNow();
            throw new IllegalStateException("MongoDB wire server cannot listen on " + HOST + ":" + port
                    + " (is the port taken?): " + e.getMessage(), e);
        }
        return new EmbeddedMongo(server, "mongodb://" + HOST + ":" + server.getLocalAddress().getPort());
    }

    /** A {@code mongodb://} URI for clients of this server. */
    public String connectionString() {
        return connectionString;
    }

    @Override
    public void close() {
        server.shutdownNow();
        log.info("MongoDB wire server at {} stopped", connectionString);
    }
}
