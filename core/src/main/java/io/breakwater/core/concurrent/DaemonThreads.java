package io.breakwater.core.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Names Breakwater's threads {@code prefix-1}, {@code prefix-2}, ... so thread dumps say whose they are. */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /** Daemon threads: they never keep a stopping JVM alive; every owner stops its own on close. */
    public static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
