package io.breakwater.core.breaker;

import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToLongFunction;

import io.breakwater.core.health.BreakerState;

/**
 * Breakers made one per outside name ({@code crawler:<host>}, one per crawled host) form a family. A family's
 * members can be as many as the hosts outsiders name, so metrics and /health show each family as a summary of
 * constant size: how many members are in each state, and the {@link #WORST_SHOWN} worst members by name. The
 * named breakers ({@code llm_service}, {@code mongodb}, ...) are no family and are shown one by one. Stateless.
 */
public final class BreakerFamilies {

    /** The per-host crawler breakers' family. */
    public static final String CRAWLER = "crawler";
    /** How many of a family's members are shown by name, at most: open first, then by failures, then by name. */
    public static final int WORST_SHOWN = 10;

    private static final String CRAWLER_PREFIX = CRAWLER + ":";

    private BreakerFamilies() {
    }

    /** The family of the breaker {@code name}, if it belongs to one. */
    public static Optional<String> family(String name) {
        return name != null && name.startsWith(CRAWLER_PREFIX) ? Optional.of(CRAWLER) : Optional.empty();
    }

    /** Whether {@code name} is a member of a family (not a named breaker). */
    public static boolean inFamily(String name) {
        return family(name).isPresent();
    }

    /** The label standing for every member of {@code family} at once ({@code crawler:*}). */
    public static String aggregateLabel(String family) {
        return family + ":*";
    }

    /** How many of {@code members} are in each state (every state present, zero included). */
    public static <T> Map<BreakerState, Long> countByState(Collection<T> members, Function<T, BreakerState> state) {
        Map<BreakerState, Long> counts = new EnumMap<>(BreakerState.class);
        for (BreakerState each : BreakerState.values()) {
            counts.put(each, 0L);
        }
        members.forEach(member -> counts.merge(state.apply(member), 1L, Long::sum));
        return counts;
    }

    /** The {@code limit} worst of {@code members}: open, then half-open, then most failures, then by name. */
    public static <T> List<T> worst(Collection<T> members, Function<T, BreakerState> state,
                                    ToLongFunction<T> failures, Function<T, String> name, int limit) {
        Comparator<T> order = Comparator.<T>comparingInt(member -> -state.apply(member).ordinal())
                .thenComparingLong(member -> -failures.applyAsLong(member)).thenComparing(name);
        return members.stream().sorted(order).limit(limit).toList();
    }
}
