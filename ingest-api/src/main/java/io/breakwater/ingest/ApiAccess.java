package io.breakwater.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import io.breakwater.core.config.Settings;
import io.breakwater.core.park.RateLimiter;
import io.javalin.http.Context;

/**
 * Who may use the API, and how fast. With {@code api.keys} ({@code BW_API_KEYS}: comma-separated) or
 * {@code api.keys.file} ({@code BW_API_KEYS_FILE}: one key per line) set, every {@code /api} request needs
 * {@code Authorization: Bearer KEY} or {@code X-API-Key: KEY}; keys are compared in constant time, by their
 * SHA-256, and never logged. A caller is known by a fingerprint of its key (or, without keys, by its address).
 * With {@code rate.limit.per.second} ({@code BW_RATE_LIMIT_PER_SECOND}) set, each caller may make that many writes a
 * second, {@code rate.limit.burst} at once; beyond, 429 with {@code Retry-After}. Thread-safe.
 */
final class ApiAccess {

    static final String CALLER = "bw.caller";

    private final List<byte[]> keyDigests;
    private final double ratePerSecond;
    private final double burst;
    /**
     * One bucket per caller, bounded: at most {@value #MAX_BUCKETS}, each dropped after {@link #BUCKET_IDLE} unused
     * (by then it is full again, so dropping it changes nothing).
     */
    private final Cache<String, RateLimiter> limiters;
    private final ClientAddress addresses;

    static final int MAX_BUCKETS = 100_000;
    static final Duration BUCKET_IDLE = Duration.ofMinutes(10);

    ApiAccess(List<String> keys, double ratePerSecond, double burst, ClientAddress addresses) {
        this(keys, ratePerSecond, burst, addresses, Ticker.systemTicker());
    }

    ApiAccess(List<String> keys, double ratePerSecond, double burst, ClientAddress addresses, Ticker ticker) {
        this.keyDigests = keys.stream().map(ApiAccess::sha256).toList();
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.addresses = addresses;
        this.limiters = Caffeine.newBuilder().maximumSize(MAX_BUCKETS).expireAfterAccess(BUCKET_IDLE).ticker(ticker)
                .executor(Runnable::run).build();
    }

    /** How many rate-limit buckets are held now (after pending evictions). */
    long buckets() {
        limiters.cleanUp();
        return limiters.estimatedSize();
    }

    /** The client's address: see {@link ClientAddress}. */
    String clientAddress(String peer, String forwardedFor) {
        return addresses.resolve(peer, forwardedFor);
    }

    static ApiAccess from(Settings settings) {
        List<String> keys = new ArrayList<>(split(settings.string("api.keys", "")));
        settings.find("api.keys.file").ifPresent(file -> {
            try {
                Files.readAllLines(Path.of(file)).stream().map(String::strip)
                        .filter(line -> !line.isEmpty() && !line.startsWith("#")).forEach(keys::add);
            } catch (IOException e) {
                throw Settings.invalid("api.keys.file", file, "a readable file of keys, one per line (" + e.getMessage() + ")");
            }
        });
        double rate = Double.parseDouble(settings.string("rate.limit.per.second", "0"));
        double burst = Double.parseDouble(settings.string("rate.limit.burst", Double.toString(Math.max(1, rate * 2))));
        if (rate < 0) {
            throw Settings.invalid("rate.limit.per.second", rate, "0 (no limit) or more");
        }
        return new ApiAccess(keys, rate, burst, ClientAddress.from(settings));
    }

    /** For the start-up log: whether keys are required (how many, never which) and the rate limit. */
    String describe() {
        return (keyDigests.isEmpty() ? "no API key required" : "API keys required (" + keyDigests.size() + " known)")
                + (ratePerSecond > 0 ? ", at most " + format(ratePerSecond) + " writes a second per caller" : "")
                + (addresses.trustsAny() ? ", client addresses from X-Forwarded-For of trusted proxies" : "");
    }

    boolean keysRequired() {
        return !keyDigests.isEmpty();
    }

    /** Before every {@code /api} request: who is asking (or 401), and for writes, whether they may now (or 429). */
    void check(Context ctx) {
        String address = clientAddress(ctx.ip(), ctx.header(ClientAddress.FORWARDED_FOR));
        String caller = authenticate(ctx).orElse("address:" + address);
        ctx.attribute(CALLER, caller);
        if (ratePerSecond > 0 && !ctx.method().name().equals("GET")) {
            Duration wait = take(caller);
            if (!wait.isZero()) {
                long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
                throw new ApiException(429, "Too many requests: at most " + format(ratePerSecond) + " a second ("
                        + format(burst) + " at once) for each API key. Retry in " + seconds + " s.",
                        Map.of("Retry-After", Long.toString(seconds)));
            }
        }
    }

    /** Takes one write from {@code caller}'s bucket: zero if it may write now, else how long until it may. */
    Duration take(String caller) {
        RateLimiter limiter = limiters.get(caller, ignored -> RateLimiter.withBurst(ratePerSecond, burst, System::nanoTime));
        synchronized (limiter) {
            return limiter.tryTake();
        }
    }

    /** The caller as {@link #check} identified it. */
    static String caller(Context ctx) {
        String caller = ctx.attribute(CALLER);
        return caller == null ? "" : caller;
    }

    private Optional<String> authenticate(Context ctx) {
        return authenticate(ctx::header, null);
    }

    /**
     * Who a websocket client is, from its upgrade request: a browser cannot set headers on one, so the key may also
     * come as the {@code api_key} query parameter.
     *
     * @return the caller, as {@link #caller} names it
     * @throws ApiException 401 without a valid key, when keys are required
     */
    String socketCaller(java.util.function.UnaryOperator<String> header, String queryKey, String address) {
        return authenticate(header, queryKey).orElse("address:" + address);
    }

    private Optional<String> authenticate(java.util.function.UnaryOperator<String> header, String queryKey) {
        if (keyDigests.isEmpty()) {
            return Optional.empty();
        }
        String presented = Optional.ofNullable(header.apply("X-API-Key")).or(() -> Optional.ofNullable(header.apply("Authorization"))
                .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7)).map(value -> value.substring(7)))
                .or(() -> Optional.ofNullable(queryKey))
                .map(String::strip).orElse("");
        byte[] digest = sha256(presented);
        boolean known = false;
        for (byte[] key : keyDigests) {
            // Every key is compared, each in constant time: the time taken says nothing about which is close.
            known |= MessageDigest.isEqual(digest, key);
        }
        if (presented.isEmpty() || !known) {
            throw new ApiException(401, presented.isEmpty()
                    ? "An API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
                    : "That API key is not valid.", Map.of("WWW-Authenticate", "Bearer"));
        }
        return Optional.of("key:" + HexFormat.of().formatHex(digest, 0, 8));
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static List<String> split(String keys) {
        return Arrays.stream(keys.split(",")).map(String::strip).filter(key -> !key.isEmpty()).toList();
    }

    private static String format(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
