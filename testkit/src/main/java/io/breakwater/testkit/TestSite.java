package io.breakwater.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import io.breakwater.embedded.FreePort;

/**
 * A small web site for crawler tests, on 127.0.0.1: static pages with a fact only they hold, a robots.txt, a slow
 * page, a page that fails, redirects (one that arrives, one that loops), an oversized page, a binary file, plain
 * text, and hostile answers (a 503 with a Retry-After of centuries, a page of 400,000 CJK characters, an endless
 * robots.txt on request). Any path can be given a handler of a test's own. Counts the requests to each path; can go
 * down and come back like a real host.
 */
public final class TestSite implements AutoCloseable {

    /** The fact only {@code /index.html} holds. */
    public static final String FACT = "The Zeebrugge breakwater shelters 4.5 kilometres of quay from the North Sea.";
    public static final String INDEX_TITLE = "Breakwater harbour facts";

    private static final String INDEX = """
            <!doctype html>
            <html><head><title>Breakwater harbour facts</title>
            <style>body { color: navy }</style><script>var tracking = "ignore me";</script></head>
            <body>
            <nav><a href="/">Home</a> <a href="/second.html">Second</a> Navigation menu text</nav>
            <header>Site header banner</header>
            <main>
              <h1>Harbour facts</h1>
              <p>%s</p>
              <p>Rubble-mound breakwaters absorb wave energy with layers of rock and concrete units.</p>
              <ul><li><p>A listed paragraph</p></li></ul>
              <p>See <a href="/second.html#part">the second page</a>, <a href="/private/secret.html">a private one</a>,
              <a href="https://other.example.org/away">another site</a> and <a href="mailto:harbour@example.org">mail</a>.</p>
            </main>
            <footer>Footer text, copyright</footer>
            </body></html>
            """.formatted(FACT);

    /** Characters of {@code /cjk.html}: about 1.2 MB in UTF-8, over a Kafka producer's default request size. */
    public static final int CJK_CHARACTERS = 400_000;
    /** The {@code Retry-After} of {@code /retry-after-huge.html}: more seconds than the universe is old. */
    public static final String HUGE_RETRY_AFTER = "10000000000";

    private final int port;
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<String, HttpHandler> routes = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "test-site");
        thread.setDaemon(true);
        return thread;
    });
    private volatile long slowMillis = 3_000;
    private HttpServer server;

    private TestSite(int port) {
        this.port = port;
    }

    public static TestSite start() {
        return startOn(FreePort.find());
    }

    /** A site on {@code port}: for a host that was down and comes back. */
    public static TestSite startOn(int port) {
        TestSite site = new TestSite(port);
        site.listen();
        return site;
    }

    /** {@code http://127.0.0.1:<port>} followed by {@code path}. */
    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** How often {@code path} was requested. */
    public int requests(String path) {
        AtomicInteger count = requests.get(path);
        return count == null ? 0 : count.get();
    }

    /** How long {@code /slow.html} takes. */
    public void slowPageDelay(java.time.Duration delay) {
        this.slowMillis = delay.toMillis();
    }

    /** Serves {@code path} with {@code handler} from now on, instead of what the site serves there by default. */
    public void route(String path, HttpHandler handler) {
        routes.put(path, handler);
    }

    /** Serves {@code body} as {@code /robots.txt} from now on (say, with a {@code Crawl-delay}). */
    public void robotsTxt(String body) {
        route("/robots.txt", exchange -> respond(exchange, 200, "text/plain", body));
    }

    /** Serves {@code body} as {@code /robots.txt} from now on, each time {@code delay} after it was asked for. */
    public void slowRobotsTxt(String body, java.time.Duration delay) {
        route("/robots.txt", exchange -> {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(exchange, 200, "text/plain", body);
        });
    }

    /** Serves a {@code /robots.txt} that never ends (comment lines, sent until the reader hangs up). */
    public void endlessRobotsTxt() {
        route("/robots.txt", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, 0);
            byte[] chunk = ("# " + "endless ".repeat(1000) + "\n").getBytes(StandardCharsets.UTF_8);
            try (OutputStream out = exchange.getResponseBody()) {
                while (!Thread.currentThread().isInterrupted()) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                // the reader stopped at its limit
            }
        });
    }

    /** Stops listening: requests are refused, as by a host that is down. */
    public synchronized void down() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    /** Listens again on the same port. */
    public synchronized void up() {
        if (server == null) {
            listen();
        }
    }

    @Override
    public synchronized void close() {
        down();
        executor.shutdownNow();
    }

    private void listen() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        } catch (IOException e) {
            throw new UncheckedIOException("test site cannot listen on " + port, e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            requests.computeIfAbsent(path, ignored -> new AtomicInteger()).incrementAndGet();
            HttpHandler route = routes.get(path);
            if (route != null) {
                route.handle(exchange);
                return;
            }
            switch (path) {
                case "/", "/index.html" -> respond(exchange, 200, "text/html; charset=utf-8", INDEX);
                case "/second.html" -> respond(exchange, 200, "text/html", "<html><head><title>Second</title></head>"
                        + "<body><p>Caissons are sunk in place and filled with sand.</p></body></html>");
                case "/private/secret.html" -> respond(exchange, 200, "text/html", "<p>Robots may not read this.</p>");
                case "/robots.txt" -> respond(exchange, 200, "text/plain", "User-agent: *\nDisallow: /private/\n");
                case "/notes.txt" -> respond(exchange, 200, "text/plain; charset=utf-8",
                        "Tetrapods interlock to resist the waves.\n\nAccropodes are laid in a single layer.");
                case "/slow.html" -> {
                    sleep(slowMillis);
                    respond(exchange, 200, "text/html", "<p>Finally.</p>");
                }
                case "/boom.html" -> respond(exchange, 500, "text/plain", "internal error");
                case "/busy.html" -> {
                    exchange.getResponseHeaders().add("Retry-After", "7");
                    respond(exchange, 503, "text/plain", "busy");
                }
                case "/retry-after-huge.html" -> {
                    exchange.getResponseHeaders().add("Retry-After", HUGE_RETRY_AFTER);
                    respond(exchange, 503, "text/plain", "come back in three centuries");
                }
                case "/cjk.html" -> respond(exchange, 200, "text/html; charset=utf-8",
                        "<html><head><title>CJK</title></head><body><p>" + cjk(CJK_CHARACTERS) + "</p></body></html>");
                case "/moved" -> redirect(exchange, "/index.html");
                case "/loop-a" -> redirect(exchange, "/loop-b");
                case "/loop-b" -> redirect(exchange, "/loop-a");
                case "/to-private" -> redirect(exchange, "http://10.1.2.3/internal");
                case "/big.html" -> respond(exchange, 200, "text/html", "<p>" + "x".repeat(3 * 1024 * 1024) + "</p>");
                case "/big-stream.html" -> {
                    exchange.getResponseHeaders().add("Content-Type", "text/html");
                    exchange.sendResponseHeaders(200, 0);
                    try (OutputStream out = exchange.getResponseBody()) {
                        byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
                        for (int i = 0; i < 48; i++) {
                            out.write(chunk);
                        }
                    } catch (IOException e) {
                        // the reader stopped at its limit
                    }
                }
                case "/image.png" -> {
                    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13};
                    exchange.getResponseHeaders().add("Content-Type", "image/png");
                    exchange.sendResponseHeaders(200, png.length);
                    exchange.getResponseBody().write(png);
                }
                default -> respond(exchange, 404, "text/plain", "not found");
            }
        }
    }

    /** {@code count} CJK ideographs, cycling through the first thousand of the block. */
    public static String cjk(int count) {
        StringBuilder text = new StringBuilder(count);
        for (int i = 0; i < count; i++) {
            text.append((char) (0x4E00 + i % 1000));
        }
        return text.toString();
    }

    private static void redirect(HttpExchange exchange, String location) throws IOException {
        exchange.getResponseHeaders().add("Location", location);
        exchange.sendResponseHeaders(302, -1);
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
