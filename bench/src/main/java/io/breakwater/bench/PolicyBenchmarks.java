package io.breakwater.bench;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.Dependencies;

/**
 * What a call costs on the way to the dependency, with JMH: a direct call; the bare Failsafe chain the breaker policy
 * is built on (Retry → CircuitBreaker → Timeout, as in {@link BreakerPolicy}); the whole policy; and a call refused
 * by an open breaker, bare and through the policy. The dependency is a method returning at once, so what is measured
 * is the wrapping alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyBenchmarks {

    private FailsafeExecutor<Object> chain;
    private FailsafeExecutor<Object> openChain;
    private BreakerPolicy policy;
    private BreakerPolicy openPolicy;
    private int counter;

    @Setup(Level.Trial)
    public void setUp() {
        chain = Failsafe.with(RetryPolicy.builder().withMaxRetries(2).build(),
                CircuitBreaker.builder().withFailureThreshold(5).withDelay(Duration.ofMinutes(1)).build(),
                Timeout.builder(Duration.ofSeconds(30)).withInterrupt().build());
        CircuitBreaker<Object> open = CircuitBreaker.builder().withFailureThreshold(5).withDelay(Duration.ofHours(1)).build();
        open.open();
        openChain = Failsafe.with(RetryPolicy.builder().withMaxRetries(2).abortOn(CircuitBreakerOpenException.class).build(),
                open, Timeout.builder(Duration.ofSeconds(30)).withInterrupt().build());
        policy = newPolicy();
        openPolicy = newPolicy();
        openPolicy.breaker().open();
    }

    private static BreakerPolicy newPolicy() {
        return new BreakerPolicy(Dependencies.LLM_SERVICE, new BreakerPolicy.Identity("bench", Clock.systemUTC().instant()),
                false, Duration.ofSeconds(60), Clock.systemUTC());
    }

    private Integer dependency() {
        return ++counter;
    }

    @Benchmark
    public Object direct() {
        return dependency();
    }

    @Benchmark
    public Object failsafeChain() {
        return chain.get(this::dependency);
    }

    @Benchmark
    public Object breakerPolicy() {
        return policy.call(this::dependency);
    }

    @Benchmark
    public Object failsafeOpenRejection() {
        try {
            return openChain.get(this::dependency);
        } catch (CircuitBreakerOpenException e) {
            return e;
        }
    }

    @Benchmark
    public Object breakerPolicyOpenRejection() {
        try {
            return openPolicy.call(this::dependency);
        } catch (BreakerOpenException e) {
            return e;
        }
    }
}
