package io.breakwater.core.store;

import java.util.concurrent.TimeUnit;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import io.breakwater.core.config.MongoSettings;

/**
 * Opens MongoDB clients that fail within seconds, not the driver's default 30 s, when the server is away, and that
 * give up on a server that stops answering (paused, partitioned) instead of waiting forever on a socket read: a
 * blocked read ignores interrupts, so the breaker's timeout alone could not free the worker thread.
 */
public final class MongoConnections {

    private static final int SERVER_SELECTION_SECONDS = 5;
    private static final int CONNECT_SECONDS = 5;
    private static final int READ_SECONDS = 15;

    private MongoConnections() {
    }

    public static MongoClient open(MongoSettings mongo) {
        MongoClientSettings settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(mongo.uri()))
                .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(SERVER_SELECTION_SECONDS, TimeUnit.SECONDS))
                .applyToSocketSettings(socket -> socket.connectTimeout(CONNECT_SECONDS, TimeUnit.SECONDS)
                        .readTimeout(READ_SECONDS, TimeUnit.SECONDS))
                .build();
        return MongoClients.create(settings);
    }
}
