package io.breakwater.crawler;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Politeness: at most one request to a host per gap, however many jobs for it are in hand. Callers for one host
 * queue up behind each other; other hosts are not held up. Thread-safe.
 */
final class HostPacer {

    private final Map<String, Turn> turns = new ConcurrentHashMap<>();

    /** Waits until this host may be sent another request, at least {@code gap} after the one before. */
    void awaitTurn(String host, Duration gap) throws InterruptedException {
        Turn turn = turns.computeIfAbsent(host, ignored -> new Turn());
        synchronized (turn) {
            long wait = turn.nextNanos - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            turn.nextNanos = System.nanoTime() + gap.toNanos();
        }
    }

    private static final class Turn {
        private long nextNanos = System.nanoTime();
    }
}
