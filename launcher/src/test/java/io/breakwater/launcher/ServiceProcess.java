package io.breakwater.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code breakwater} command in a JVM of its own, so that a test can kill it for real ({@code kill -9}): no
 * shutdown hook, no finally block, whatever was in flight simply stops.
 */
final class ServiceProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private ServiceProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code breakwater <args>} with {@code environment} and waits until its output shows {@code ready}.
     *
     * @throws IllegalStateException if it exits or is not ready in time; the message carries its output
     */
    static ServiceProcess start(List<String> args, Map<String, String> environment, Path log, String ready,
                                Duration timeout) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                Breakwater.class.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // The child's JVM is set up here and nowhere else: options a CI machine passes to every JVM do not apply.
        builder.environment().keySet().removeIf(name -> name.startsWith("BW_") || name.equals("JAVA_TOOL_OPTIONS")
                || name.equals("_JAVA_OPTIONS") || name.equals("JDK_JAVA_OPTIONS"));
        builder.environment().putAll(environment);
        try {
            long from = Files.exists(log) ? Files.size(log) : 0;
            ServiceProcess started = new ServiceProcess(builder.start(), log);
            started.awaitOutput(ready, from, timeout);
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last {@code lines} lines of the log this process writes to (shared by the processes of one test). */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** SIGKILL, and wait until it is gone. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void awaitOutput(String ready, long from, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String output = Files.readString(log);
            if (output.substring((int) Math.min(from, output.length())).contains(ready)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("breakwater exited with " + process.exitValue() + " before it was ready:\n" + output);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        kill();
        throw new IllegalStateException("breakwater was not ready within " + timeout + ":\n" + Files.readString(log));
    }
}
