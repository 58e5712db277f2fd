package io.breakwater.core.breaker;

import java.time.Duration;
import java.util.List;

/**
 * What lets calls to a dependency through, as replay asks it: one breaker, or several deployments of one dependency of
 * which any will do ({@link #anyOf}). Thread-safe if its breakers are.
 */
public interface DependencyGate {

    /** The name parked work carries in its {@code bw.breaker} header. */
    String name();

    /** How many calls may go now: all, one trial, or none. */
    BreakerPolicy.Allowance allowance();

    /** How long until a trial call may go; zero if one may go now. */
    Duration untilTrial();

    /**
     * A gate that lets calls through while any of {@code breakers} does: work parked for a chain of deployments may
     * go as soon as one of them may take it. Named {@code name}.
     */
    static DependencyGate anyOf(String name, List<BreakerPolicy> breakers) {
        List<BreakerPolicy> all = List.copyOf(breakers);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("a gate needs at least one breaker");
        }
        return new DependencyGate() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public BreakerPolicy.Allowance allowance() {
                BreakerPolicy.Allowance best = BreakerPolicy.Allowance.NONE;
                for (BreakerPolicy breaker : all) {
                    BreakerPolicy.Allowance allowance = breaker.allowance();
                    if (allowance == BreakerPolicy.Allowance.ALL) {
                        return allowance;
                    }
                    if (allowance == BreakerPolicy.Allowance.TRIAL) {
                        best = allowance;
                    }
                }
                return best;
            }

            @Override
            public Duration untilTrial() {
                Duration soonest = null;
                for (BreakerPolicy breaker : all) {
                    Duration wait = breaker.untilTrial();
                    soonest = soonest == null || wait.compareTo(soonest) < 0 ? wait : soonest;
                }
                return soonest;
            }

            @Override
            public String toString() {
                return name + all.stream().map(BreakerPolicy::name).toList();
            }
        };
    }
}
