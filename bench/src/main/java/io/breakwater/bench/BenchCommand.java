package io.breakwater.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code breakwater bench [--quick] [part...] [--report FILE]}: every benchmark, or the parts named, each against its
 * baseline measured in the same run on the same embedded broker. Prints {@code BENCH} and {@code RATIO} lines; a
 * full run of every part also writes {@code docs/benchmarks.md} (or the {@code --report} file). Asserts nothing.
 */
@Command(name = "breakwater bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures what the resilience costs, against baselines.", "Each figure against a baseline"
                + " measured in the same run on the same embedded broker. Prints BENCH and RATIO lines; a full run of"
                + " every part writes docs/benchmarks.md."})
public final class BenchCommand implements Callable<Integer> {

    /** The parts, in the order they run. */
    static final List<String> PARTS = List.of("pipeline", "health", "api", "policy", "memory", "llm");

    private final PrintStream out;

    @Option(names = "--quick", description = "a smaller run, in minutes instead of a quarter of an hour")
    private boolean quick;

    // Seconds, for the smoke test: the figures mean nothing at this size.
    @Option(names = "--tiny", hidden = true)
    private boolean tiny;

    @Option(names = "--report", paramLabel = "FILE", description = "where the report goes (default: docs/benchmarks.md"
            + " after a full run of every part)")
    private Path reportFile;

    @Parameters(paramLabel = "PART", arity = "0..*", completionCandidates = Parts.class,
            description = "pipeline, health, api, policy, memory or llm (default: all, in that order)")
    private List<String> parts = new ArrayList<>();

    /** Prints to {@code out}. */
    public BenchCommand(PrintStream out) {
        this.out = out;
    }

    /** {@code breakwater bench}: the benchmarks' own program (the {@code breakwater} script runs it). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand(System.out)).execute(args));
    }

    /** @return the exit code; usage errors print to {@code out} */
    public static int run(List<String> args, PrintStream out) {
        return new CommandLine(new BenchCommand(out)).setOut(new java.io.PrintWriter(out, true))
                .setErr(new java.io.PrintWriter(out, true)).execute(args.toArray(String[]::new));
    }

    @Override
    public Integer call() throws Exception {
        for (String part : parts) {
            if (!PARTS.contains(part)) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "Unknown part '" + part + "': pick from " + PARTS + ".");
            }
        }
        Scale scale = tiny ? Scale.TINY : quick ? Scale.QUICK : Scale.FULL;
        List<String> parts = new ArrayList<>(this.parts);
        Path reportFile = this.reportFile;
        boolean everything = parts.isEmpty();
        if (everything) {
            parts.addAll(PARTS);
        }
        if (reportFile == null && everything && scale == Scale.FULL) {
            reportFile = Path.of("docs", "benchmarks.md");
        }
        Report report = new Report(out);
        Scale size = scale;
        long start = System.nanoTime();
        out.printf("Breakwater benchmarks (%s): %s%n", scale.name().toLowerCase(java.util.Locale.ROOT),
                String.join(", ", parts));
        Map<String, Part> runs = new LinkedHashMap<>();
        runs.put("pipeline", cluster -> new PipelineBenchmark(cluster, report, size).run());
        runs.put("health", cluster -> new HealthLagBenchmark(cluster, report, size).run());
        runs.put("api", cluster -> new ApiBenchmark(cluster, report, size).run());
        runs.put("policy", cluster -> new PolicyOverhead(report, size).run());
        runs.put("memory", cluster -> new MemoryBenchmark(cluster, report, size).run());
        runs.put("llm", cluster -> new LlmBenchmark(cluster, report, size).run());
        try (BenchCluster cluster = BenchCluster.start()) {
            for (String part : parts) {
                long partStart = System.nanoTime();
                out.println("== " + part);
                runs.get(part).run(cluster);
                out.printf("   (%s took %d s)%n", part, Duration.ofNanos(System.nanoTime() - partStart).toSeconds());
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        out.printf("Done in %d s.%n", took.toSeconds());
        if (reportFile != null) {
            report.write(reportFile, "./breakwater bench" + (scale == Scale.QUICK ? " --quick" : "") + (everything ? "" : " "
                    + String.join(" ", parts)), took);
        }
        return 0;
    }

    /** The parts, for the usage message. */
    static final class Parts implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return PARTS.iterator();
        }
    }

    @FunctionalInterface
    private interface Part {
        void run(BenchCluster cluster) throws Exception;
    }
}
