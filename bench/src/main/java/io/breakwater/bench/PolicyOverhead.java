package io.breakwater.bench;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Runs {@link PolicyBenchmarks} with JMH (in a forked JVM) and reports each call's cost and the overheads. */
final class PolicyOverhead {

    private final Report report;
    private final Scale scale;

    PolicyOverhead(Report report, Scale scale) {
        this.report = report;
        this.scale = scale;
    }

    void run() throws Exception {
        Options options = new OptionsBuilder()
                .include(PolicyBenchmarks.class.getName() + "\\.")
                // In a JVM of its own, as JMH should; the smoke test's tiny run stays in this one.
                .forks(scale == Scale.TINY ? 0 : 1)
                .warmupIterations(scale.pick(1, 2, 5))
                .warmupTime(scale == Scale.TINY ? TimeValue.milliseconds(100) : TimeValue.seconds(1))
                .measurementIterations(scale.pick(1, 3, 5))
                .measurementTime(scale == Scale.TINY ? TimeValue.milliseconds(100) : TimeValue.seconds(scale.pick(1, 1, 2)))
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, Double> nanos = new HashMap<>();
        for (RunResult result : results) {
            String label = result.getParams().getBenchmark();
            nanos.put(label.substring(label.lastIndexOf('.') + 1), result.getPrimaryResult().getScore());
        }
        double direct = nanos.get("direct");
        String jmh = "JMH average time per call";
        report.figure("policy/direct", direct, "ns", jmh + ": a method returning at once");
        report.figure("policy/failsafe-chain", nanos.get("failsafeChain"), "ns", jmh
                + ": Failsafe Retry → CircuitBreaker → Timeout, closed");
        report.figure("policy/breaker-policy", nanos.get("breakerPolicy"), "ns", jmh
                + ": BreakerPolicy.call (the chain, fleet checks, latency window, counts), closed");
        report.figure("policy/chain-overhead", (nanos.get("failsafeChain") - direct) / 1000, "µs",
                "the Failsafe chain's cost over a direct call");
        report.figure("policy/breaker-policy-overhead", (nanos.get("breakerPolicy") - direct) / 1000, "µs",
                "BreakerPolicy's cost over a direct call");
        report.figure("policy/failsafe-open-rejection", nanos.get("failsafeOpenRejection") / 1000, "µs", jmh
                + ": the bare chain refusing a call while open");
        report.figure("policy/open-rejection", nanos.get("breakerPolicyOpenRejection") / 1000, "µs", jmh
                + ": BreakerPolicy refusing a call while open (BreakerOpenException)");
    }
}
