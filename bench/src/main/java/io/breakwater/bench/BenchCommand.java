package io.breakwater.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code breakwater bench [--quick] [part...] [--report FILE]}: every benchmark, or the parts named, each against its
 * baseline measured in the same run on the same embedded broker. Prints {@code BENCH} and {@code RATIO} lines; a
 * full run of every part also writes {@code docs/benchmarks.md} (or the {@code --report} file). Asserts nothing.
 */
public final class BenchCommand {

    /** The parts, in the order they run. */
    static final List<String> PARTS = List.of("pipeline", "health", "api", "policy", "memory");

    private BenchCommand() {
    }

    public static String usage() {
        return "Usage: breakwater bench [--quick] [" + String.join("|", PARTS) + "]... [--report FILE]";
    }

    /** @return the exit code */
    public static int run(List<String> args, PrintStream out) throws Exception {
        Scale scale = Scale.FULL;
        Path reportFile = null;
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--quick")) {
                scale = Scale.QUICK;
            } else if (arg.equals("--tiny")) {
                // Seconds, for the smoke test: the figures mean nothing at this size.
                scale = Scale.TINY;
            } else if (arg.equals("--report") && i + 1 < args.size()) {
                reportFile = Path.of(args.get(++i));
            } else if (PARTS.contains(arg)) {
                parts.add(arg);
            } else {
                out.println("Unknown argument '" + arg + "'. " + usage());
                return 2;
            }
        }
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

    @FunctionalInterface
    private interface Part {
        void run(BenchCluster cluster) throws Exception;
    }
}
