package io.breakwater.qa;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

import io.breakwater.core.time.OutsideTime;

/**
 * Slows the callers down before the provider has to say 429, from the quota its answers report:
 * {@code x-ratelimit-remaining-requests} and {@code x-ratelimit-remaining-tokens}, against their limits and reset
 * times (OpenAI's headers, which Azure and many gateways copy).
 * <ul>
 * <li>Nothing left of a quota (no request, or fewer tokens than the last call took): a pause until it resets.</li>
 * <li>Little left (5 % of the limit or less): a pause of the reset time shared among the calls left, so that what
 *     is left spreads evenly until the reset instead of running out at once; none if that is under 250 ms, the
 *     shortest a cooldown lasts.</li>
 * <li>Otherwise, or when the headers are missing or unreadable: no pause.</li>
 * </ul>
 * Every figure comes from outside: bounded, and a pause never longer than {@link OutsideTime#MAX_RETRY_AFTER}.
 */
final class RemainingQuota {

    /** The share of a quota at or under which calls are spread until its reset. */
    static final double LOW_SHARE = 0.05;
    /** The shortest spacing worth a cooldown: what a cooldown lasts at least. */
    static final Duration MIN_SPREAD = Duration.ofMillis(250);
    private static final int MAX_DIGITS = 18;

    private RemainingQuota() {
    }

    /**
     * The pause the quota asks for after an answer.
     *
     * @param tokensPerCall what the last call took ({@code usage.total_tokens}), or 0 if it did not say
     */
    static Optional<Duration> pauseAfter(HttpHeaders headers, long tokensPerCall) {
        Optional<Duration> requests = pause(headers, "requests", 1);
        Optional<Duration> tokens = pause(headers, "tokens", Math.max(1, tokensPerCall));
        if (requests.isEmpty()) {
            return tokens;
        }
        return tokens.isEmpty() || requests.get().compareTo(tokens.get()) >= 0 ? requests : tokens;
    }

    /** The pause one quota asks for, each call taking {@code perCall} of it. */
    private static Optional<Duration> pause(HttpHeaders headers, String quota, long perCall) {
        OptionalLong remaining = count(headers, "x-ratelimit-remaining-" + quota);
        Optional<Duration> reset = headers.firstValue("x-ratelimit-reset-" + quota).flatMap(OpenAiAnswerer::resetIn);
        if (remaining.isEmpty() || reset.isEmpty() || reset.get().isZero()) {
            return Optional.empty();
        }
        long callsLeft = remaining.getAsLong() / perCall;
        if (callsLeft < 1) {
            return reset;
        }
        OptionalLong limit = count(headers, "x-ratelimit-limit-" + quota);
        if (limit.isEmpty() || remaining.getAsLong() > limit.getAsLong() * LOW_SHARE) {
            return Optional.empty();
        }
        Duration spread = reset.get().dividedBy(callsLeft + 1);
        // A cooldown holds every call of the fleet for at least 250 ms: a shorter spacing is no spacing to keep.
        return spread.compareTo(MIN_SPREAD) < 0 ? Optional.empty() : Optional.of(spread);
    }

    /** A whole, non-negative number of at most 18 digits; absent otherwise. */
    private static OptionalLong count(HttpHeaders headers, String name) {
        Optional<String> value = headers.firstValue(name).map(String::strip);
        if (value.isEmpty() || value.get().isEmpty() || value.get().length() > MAX_DIGITS
                || !value.get().chars().allMatch(Character::isDigit)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(value.get()));
    }
}
