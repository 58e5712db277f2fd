package io.breakwater.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test started and must stop: each thing is closed after the test in the reverse order of its start (a worker
 * before the broker proxy it talks through), every one even if another fails to close. Background loops report the
 * failures that stopped them to {@link #failed(Throwable)}. After closing, the test fails if anything failed to close
 * or a loop reported a failure, with each one as a suppressed exception of one {@link AssertionError}.
 *
 * <pre>{@code
 * @RegisterExtension
 * final Running running = new Running();
 *
 * @Test
 * void shouldAnswer() {
 *     LlmDouble llm = running.add(LlmDouble.start());
 *     QaWorker worker = running.add(QaWorker.start(settings, running::failed));
 *     ...
 * }
 * }</pre>
 *
 * Registered on an instance field it is fresh for each test. Also usable on its own, as a scope that
 * {@link #close()} ends. Thread-safe: loops may report from their own threads.
 */
public final class Running implements AfterEachCallback, AutoCloseable {

    private final List<AutoCloseable> started = new ArrayList<>();
    private final List<Throwable> reported = new CopyOnWriteArrayList<>();

    /** Keeps {@code resource} to close after the test, before everything added earlier; returns it. */
    public synchronized <T extends AutoCloseable> T add(T resource) {
        started.add(resource);
        return resource;
    }

    /** Forgets {@code resource}, which the test will close itself (to restart it, say). */
    public synchronized void remove(AutoCloseable resource) {
        started.remove(resource);
    }

    /** Where a background loop reports the failure that stopped it: pass {@code running::failed} as its handler. */
    public void failed(Throwable failure) {
        reported.add(failure);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    /**
     * Closes everything added, the last first, and forgets it and the failures reported so far.
     *
     * @throws AssertionError if anything failed to close or any failure was reported, each one suppressed in it
     */
    @Override
    public void close() {
        List<AutoCloseable> closing;
        synchronized (this) {
            closing = new ArrayList<>(started);
            started.clear();
        }
        List<Throwable> closeFailures = new ArrayList<>();
        for (int i = closing.size() - 1; i >= 0; i--) {
            try {
                closing.get(i).close();
            } catch (Exception | AssertionError e) {
                closeFailures.add(e);
            }
        }
        List<Throwable> loopFailures = List.copyOf(reported);
        reported.removeAll(loopFailures);
        if (closeFailures.isEmpty() && loopFailures.isEmpty()) {
            return;
        }
        AssertionError failure = new AssertionError(closeFailures.size() + " failed to close, "
                + loopFailures.size() + " failure(s) reported while running: " + describe(closeFailures, loopFailures));
        closeFailures.forEach(failure::addSuppressed);
        loopFailures.forEach(failure::addSuppressed);
        throw failure;
    }

    private static String describe(List<Throwable> closeFailures, List<Throwable> loopFailures) {
        List<String> each = new ArrayList<>();
        closeFailures.forEach(e -> each.add("close: " + e));
        loopFailures.forEach(e -> each.add("reported: " + e));
        return String.join("; ", each);
    }
}
