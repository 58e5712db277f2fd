package io.breakwater.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.breakwater.embedded.FreePort;

/**
 * A real HTTP server speaking the OpenAI chat-completions format, whose behaviour a test switches at any time:
 * answer, fail with 500, 429 or 400, hang past any timeout, send a garbled body, or be down (connections refused).
 * It counts the requests that reached it. Thread-safe.
 */
public final class LlmDouble implements AutoCloseable {

    private volatile String retryAfter = "2";

    /** What the double does with the next requests. */
    public enum Mode { ANSWER, FAIL_500, RATE_LIMITED_429, REJECT_400, HANG, MALFORMED, DOWN }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final int port;
    private final AtomicInteger calls = new AtomicInteger();
    private final List<String> questions = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "llm-double");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Mode mode = Mode.ANSWER;
    private volatile long answerDelayMillis;
    private volatile long failureDelayMillis;
    private final List<Call> callLog = new CopyOnWriteArrayList<>();
    private final List<Answered> answered = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch hang = new CountDownLatch(1);
    /** Answers left before the double holds every call ({@link #answerThenHang}); negative: no limit. */
    private final AtomicInteger answersBeforeHang = new AtomicInteger(-1);
    /** Calls answered at once at most ({@link #capacity}); beyond, 429. Zero: no limit. */
    private volatile int capacity;
    private volatile java.time.Duration capacityRetryAfter = java.time.Duration.ZERO;
    private final AtomicInteger answering = new AtomicInteger();
    private final AtomicInteger mostAnswering = new AtomicInteger();
    private final AtomicInteger refusedAsTooMany = new AtomicInteger();
    private HttpServer server;

    private LlmDouble(int port) {
        this.port = port;
    }

    /** Starts answering on a free port. */
    public static LlmDouble start() {
        LlmDouble llm = new LlmDouble(FreePort.find());
        llm.listen();
        return llm;
    }

    /** The base URL to configure as {@code BW_LLM_URL}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    public int port() {
        return port;
    }

    /** Requests that reached the server (not those refused while down). */
    public int calls() {
        return calls.get();
    }

    /** The last user message of every request that reached the server. */
    public List<String> questions() {
        return List.copyOf(questions);
    }

    /** The {@code Authorization} header of every request that reached the server ("" when absent). */
    public List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    public Mode mode() {
        return mode;
    }

    /** Switches behaviour; leaving {@link Mode#HANG} releases hung requests, leaving {@link Mode#DOWN} listens again. */
    public synchronized void mode(Mode next) {
        answersBeforeHang.set(-1);
        switchTo(next);
    }

    /**
     * Answers the next {@code count} calls, then holds every later one as {@link Mode#HANG} does, until the mode is
     * changed: a test then knows exactly how many answers a worker got before it is killed, on any machine.
     */
    public synchronized void answerThenHang(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be 0 or more, but was " + count);
        }
        switchTo(count == 0 ? Mode.HANG : Mode.ANSWER);
        answersBeforeHang.set(count);
    }

    /** Takes one answer from the {@link #answerThenHang} budget; false (and holding from now on) once it is spent. */
    private boolean mayAnswer() {
        while (true) {
            int left = answersBeforeHang.get();
            if (left < 0) {
                return true;
            }
            if (left == 0) {
                synchronized (this) {
                    if (mode == Mode.ANSWER && answersBeforeHang.get() == 0) {
                        switchTo(Mode.HANG);
                    }
                }
                return false;
            }
            if (answersBeforeHang.compareAndSet(left, left - 1)) {
                return true;
            }
        }
    }

    private void switchTo(Mode next) {
        Mode previous = this.mode;
        this.mode = next;
        if (previous == Mode.HANG && next != Mode.HANG) {
            hang.countDown();
            hang = new CountDownLatch(1);
        }
        if (next == Mode.DOWN && previous != Mode.DOWN) {
            server.stop(0);
        } else if (previous == Mode.DOWN && next != Mode.DOWN) {
            listen();
        }
    }

    /** The {@code Retry-After} sent with a 429 ({@code "2"} unless set): any text, as a hostile endpoint might send. */
    public void retryAfter(String value) {
        this.retryAfter = value;
    }

    /**
     * Takes at most {@code calls} calls at once in {@link Mode#ANSWER}, as a model server with so many slots does;
     * one more is refused at once with a 429 that asks to come back after {@code retryAfter}, as Azure OpenAI's
     * does ({@code retry-after-ms}, and {@code Retry-After} in whole seconds, rounded up). Zero lifts the limit.
     */
    public void capacity(int calls, java.time.Duration retryAfter) {
        this.capacityRetryAfter = retryAfter;
        this.capacity = calls;
    }

    /** Calls refused with a 429 as one too many ({@link #capacity}). */
    public int refusedAsTooMany() {
        return refusedAsTooMany.get();
    }

    /** The most calls it has answered at once. */
    public int mostAnswering() {
        return mostAnswering.get();
    }

    /** How long each answer takes, as a real model's would. */
    public void answerDelay(java.time.Duration delay) {
        this.answerDelayMillis = delay.toMillis();
    }

    /** How long each {@link Mode#FAIL_500} failure takes, as an overloaded gateway's would. */
    public void failureDelay(java.time.Duration delay) {
        this.failureDelayMillis = delay.toMillis();
    }

    /**
     * The last user message of every call that got an answer in {@link Mode#ANSWER} (not one released from
     * {@link Mode#HANG}, whose caller has given up): the answers a worker may have used.
     */
    public List<String> answeredQuestions() {
        return answered.stream().map(Answered::question).toList();
    }

    /** As {@link #answeredQuestions}, with when each answer was sent. */
    public List<Answered> answeredCalls() {
        return List.copyOf(answered);
    }

    /**
     * A call answered in {@link Mode#ANSWER}.
     *
     * @param question its last user message
     * @param atNanos when its answer was sent ({@link System#nanoTime})
     */
    public record Answered(String question, long atNanos) {
    }

    /** When each call that reached the server started and was answered ({@link System#nanoTime}), in arrival order. */
    public List<Call> callLog() {
        return List.copyOf(callLog);
    }

    /**
     * One call as the server saw it.
     *
     * @param startNanos when its request arrived
     * @param endNanos when its response was sent
     * @param status the HTTP status sent
     */
    public record Call(long startNanos, long endNanos, int status) {
    }

    /** The answer text the double gives for {@code question}. */
    public static String answerTo(String question) {
        return "LLM answer to: " + question;
    }

    @Override
    public synchronized void close() {
        hang.countDown();
        if (mode != Mode.DOWN) {
            server.stop(0);
        }
        executor.shutdownNow();
    }

    private void listen() {
        try {
            // Nagle's algorithm on the JDK server's sockets holds a response's second write for the client's delayed
            // ACK, 40 ms a call on Linux: a real LLM server answers without that. Read once, when the server starts.
            System.setProperty("sun.net.httpserver.nodelay", "true");
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        } catch (IOException e) {
            throw new UncheckedIOException("LLM double cannot listen on " + port, e);
        }
        server.setExecutor(executor);
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            long start = System.nanoTime();
            String request = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            calls.incrementAndGet();
            String question = lastContent(request);
            questions.add(question);
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(authorization == null ? "" : authorization);
            Mode mode;
            CountDownLatch held;
            // The mode and the latch that ends a hang, read together: a hang whose latch was swapped in between
            // would wait for the next release instead of this one.
            synchronized (this) {
                mode = this.mode == Mode.ANSWER && !mayAnswer() ? Mode.HANG : this.mode;
                held = hang;
            }
            int status = switch (mode) {
                case ANSWER, HANG, MALFORMED -> 200;
                case FAIL_500 -> 500;
                case RATE_LIMITED_429 -> 429;
                case REJECT_400 -> 400;
                case DOWN -> 503;
            };
            int limit = capacity;
            if (mode == Mode.ANSWER && limit > 0 && answering.incrementAndGet() > limit) {
                answering.decrementAndGet();
                refusedAsTooMany.incrementAndGet();
                long millis = capacityRetryAfter.toMillis();
                exchange.getResponseHeaders().add("retry-after-ms", Long.toString(millis));
                exchange.getResponseHeaders().add("Retry-After", Long.toString((millis + 999) / 1000));
                respond(exchange, 429, "{\"error\":{\"message\":\"too many requests at once\"}}");
                callLog.add(new Call(start, System.nanoTime(), 429));
                return;
            }
            switch (mode) {
                case ANSWER -> {
                    try {
                        if (limit > 0) {
                            mostAnswering.accumulateAndGet(answering.get(), Math::max);
                        }
                        sleepQuietly(answerDelayMillis);
                    } finally {
                        // The slot is free once the answer is made, before it is sent: a caller that sends its
                        // next call the moment it has this answer finds the slot free.
                        if (limit > 0) {
                            answering.decrementAndGet();
                        }
                    }
                    respond(exchange, 200, completion(answerTo(question)));
                    answered.add(new Answered(question, System.nanoTime()));
                }
                case FAIL_500 -> {
                    sleepQuietly(failureDelayMillis);
                    respond(exchange, 500, "{\"error\":{\"message\":\"model crashed\"}}");
                }
                case RATE_LIMITED_429 -> {
                    exchange.getResponseHeaders().add("Retry-After", retryAfter);
                    respond(exchange, 429, "{\"error\":{\"message\":\"rate limit reached\"}}");
                }
                case REJECT_400 -> respond(exchange, 400, "{\"error\":{\"message\":\"unsupported value: temperature\"}}");
                case MALFORMED -> respond(exchange, 200, "<html>gateway says hello</html>");
                case HANG -> {
                    awaitQuietly(held);
                    respond(exchange, 200, completion(answerTo(question)));
                }
                case DOWN -> respond(exchange, 503, "{}");
            }
            callLog.add(new Call(start, System.nanoTime(), status));
        }
    }

    private static String completion(String content) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
                + "{\"role\":\"assistant\",\"content\":\"" + escape(content) + "\"},\"finish_reason\":\"stop\"}]}";
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The last message's content: read as JSON, since a regular expression overflows the stack on long prompts. */
    private static String lastContent(String request) {
        try {
            com.fasterxml.jackson.databind.JsonNode messages = JSON.readTree(request).path("messages");
            return messages.isArray() && !messages.isEmpty()
                    ? messages.get(messages.size() - 1).path("content").asText("") : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static void sleepQuietly(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
