package io.breakwater.testkit;

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
 * shutdown hook, no finally block, whatever was in flight simply stops; and so that a benchmark can read what one
 * service alone costs. Its JVM gets no options from the environment ({@code JAVA_TOOL_OPTIONS} and the like).
 */
public final class ServiceProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private ServiceProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code mainClass <args>} on this JVM's class path with {@code environment} (and no {@code BW_*} variable
     * of this process) and waits until its output, appended to {@code log}, shows {@code ready}.
     *
     * @param jvmOptions options for its JVM, such as {@code -Xmx512m}
     * @throws IllegalStateException if it exits or is not ready in time; the message carries its output
     */
    public static ServiceProcess start(String mainClass, List<String> jvmOptions, List<String> args,
                                       Map<String, String> environment, Path log, String ready, Duration timeout) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        return run(command, environment, log, ready, timeout);
    }

    /**
     * Runs {@code command} (a script that ends by exec-ing the JVM keeps its process id) as {@link #start} does.
     *
     * @throws IllegalStateException if it exits or is not ready in time; the message carries its output
     */
    public static ServiceProcess run(List<String> command, Map<String, String> environment, Path log, String ready,
                                     Duration timeout) {
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

    /** Its operating-system process id. */
    public long pid() {
        return process.pid();
    }

    /** The last {@code lines} lines of the log this process writes to (shared by the processes of one test). */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Whether it still runs (it may have exited on its own: a crash, or a fatal error it reported). */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, and wait until it is gone. */
    public void kill() {
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
