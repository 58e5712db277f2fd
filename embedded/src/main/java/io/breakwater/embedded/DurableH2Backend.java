package io.breakwater.embedded;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * An H2 backend that commits after every command that changed data. H2's own auto-commit runs once a
 * second, so a killed process would lose up to a second of acknowledged writes; here an acknowledged
 * write is in the file (the OS page cache) before the client hears back.
 */
final class DurableH2Backend extends H2Backend {

    DurableH2Backend(String fileName) {
        super(fileName);
    }

    @Override
    public Document handleCommand(Channel channel, String database, String command, Document query) {
        Document result = super.handleCommand(channel, database, command, query);
        if (getMvStore().hasUnsavedChanges()) {
            commit();
        }
        return result;
    }
}
