package io.breakwater.ingest;

import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.MalformedEventException;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.store.QuestionRecord;
import io.breakwater.core.store.QuestionStore;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;

/**
 * {@code ws://host/api/v1/answers/ws?ids=ID1,ID2}: pushes each listed question's outcome (the body of
 * {@code GET /api/v1/questions/{id}}) the moment it ends, or at once if it had ended already; a client may add ids
 * by sending {@code {"subscribe": ["ID"]}}. Every instance of the API reads {@code qa.answers} itself, so a client
 * may connect to any. Each socket sends in order from a queue of its own, so a slow or vanished client holds up
 * nobody else (and is closed if it falls too far behind); the server pings idle sockets to keep them open.
 */
final class AnswerSocket {

    static final String PATH = "/api/v1/answers/ws";
    /** Messages a socket may have waiting before it is deemed vanished and closed. */
    static final int MAX_QUEUED = 1_000;
    static final int MAX_IDS = 1_000;

    private static final Logger log = LoggerFactory.getLogger(AnswerSocket.class);

    private final QuestionStore store;
    private final QuestionFeed feed;
    private final ApiAccess access;
    private final Executor executor;
    private final int maxSockets;
    private final int maxPerAddress;
    private final Map<String, Subscriber> subscribers = new ConcurrentHashMap<>();
    /** Open sockets by client address: an entry lives only while its address has one open, so at most maxSockets. */
    private final Map<String, Integer> perAddress = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();

    AnswerSocket(QuestionStore store, QuestionFeed feed, ApiAccess access, StoreCalls calls, ApiSettings settings) {
        this.store = store;
        this.feed = feed;
        this.access = access;
        this.executor = calls.executor();
        this.maxSockets = settings.maxSockets();
        this.maxPerAddress = settings.maxSocketsPerAddress();
    }

    void configure(WsConfig ws) {
        ws.onConnect(ctx -> {
            String caller;
            String address;
            try {
                address = access.clientAddress(peer(ctx), ctx.header(ClientAddress.FORWARDED_FOR));
                caller = access.socketCaller(ctx::header, ctx.queryParam("api_key"), address);
            } catch (ApiException e) {
                ctx.closeSession(1008, e.getMessage().length() > 120 ? e.getMessage().substring(0, 120) : e.getMessage());
                return;
            }
            if (open.incrementAndGet() > maxSockets) {
                open.decrementAndGet();
                ctx.closeSession(1013, "Too many websockets open (at most " + maxSockets + "); retry later.");
                return;
            }
            if (perAddress.merge(address, 1, Integer::sum) > maxPerAddress) {
                release(address);
                ctx.closeSession(1008, "At most " + maxPerAddress + " websockets per client address.");
                return;
            }
            ctx.enableAutomaticPings(15, TimeUnit.SECONDS);
            Subscriber subscriber = new Subscriber(ctx.session, caller, address);
            subscribers.put(ctx.sessionId(), subscriber);
            String ids = ctx.queryParam("ids");
            if (ids != null) {
                String[] each = ids.split(",", MAX_IDS + 2);
                for (int i = 0; i < Math.min(each.length, MAX_IDS + 1); i++) {
                    subscriber.subscribe(each[i].strip());
                }
            }
        });
        ws.onMessage(ctx -> {
            Subscriber subscriber = subscribers.get(ctx.sessionId());
            if (subscriber != null) {
                subscriber.onMessage(ctx.message());
            }
        });
        ws.onClose(ctx -> forget(ctx));
        ws.onError(ctx -> forget(ctx));
    }

    private void forget(WsContext ctx) {
        Subscriber subscriber = subscribers.remove(ctx.sessionId());
        if (subscriber != null) {
            subscriber.close();
            release(subscriber.address);
        }
    }

    private void release(String address) {
        perAddress.computeIfPresent(address, (ignored, count) -> count <= 1 ? null : count - 1);
        open.decrementAndGet();
    }

    private static String peer(WsContext ctx) {
        return ctx.session.getRemoteSocketAddress() instanceof java.net.InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : String.valueOf(ctx.session.getRemoteSocketAddress());
    }

    /** One socket: what it waits for, and its outbox. */
    private final class Subscriber {

        private final Session session;
        private final String caller;
        private final String address;
        private final Map<String, CompletableFuture<QuestionFeed.News>> waiting = new ConcurrentHashMap<>();
        private final Queue<String> outbox = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queued = new AtomicInteger();
        private final AtomicBoolean sending = new AtomicBoolean();

        Subscriber(Session session, String caller, String address) {
            this.session = session;
            this.caller = caller;
            this.address = address;
        }

        void onMessage(String message) {
            try {
                JsonNode ids = EventJson.tree(message.getBytes(java.nio.charset.StandardCharsets.UTF_8)).get("subscribe");
                if (ids == null || !ids.isArray()) {
                    throw new MalformedEventException("expected {\"subscribe\": [\"ID\", ...]}");
                }
                ids.forEach(id -> subscribe(id.asText()));
            } catch (MalformedEventException e) {
                send(error("Cannot read that message: " + e.getMessage() + ". Send {\"subscribe\": [\"ID\"]}."));
            }
        }

        void subscribe(String id) {
            if (id.isEmpty() || waiting.containsKey(id)) {
                return;
            }
            if (!QuestionEvent.ID_PATTERN.matcher(id).matches()) {
                send(error("'" + (id.length() > 40 ? id.substring(0, 40) + "..." : id) + "' is not a question id."));
                return;
            }
            if (waiting.size() >= MAX_IDS) {
                send(error("At most " + MAX_IDS + " questions per socket."));
                return;
            }
            // Wait for news first, then look: an answer that lands in between is not missed.
            CompletableFuture<QuestionFeed.News> news;
            try {
                news = feed.next(id, EnumSet.of(QuestionFeed.News.ENDED));
            } catch (ApiException busy) {
                send(error(busy.getMessage()));
                return;
            }
            waiting.put(id, news);
            try {
                CompletableFuture.runAsync(() -> {
                    Optional<QuestionRecord> known = visible(id);
                    if (known.isPresent() && ended(known.get())) {
                        deliver(known.get());
                    } else {
                        news.thenRunAsync(() -> visible(id).ifPresent(this::deliver), executor);
                    }
                }, executor).exceptionally(error -> {
                    log.warn("Websocket subscription to {} failed: {}", id, error.toString());
                    return null;
                });
            } catch (ApiException busy) {
                waiting.remove(id);
                news.cancel(false);
                send(error(busy.getMessage()));
            }
        }

        private Optional<QuestionRecord> visible(String id) {
            return store.find(id).filter(record -> !access.keysRequired() || caller.equals(record.owner()));
        }

        private void deliver(QuestionRecord record) {
            CompletableFuture<QuestionFeed.News> news = waiting.remove(record.id());
            if (news != null) {
                news.cancel(false);
                send(new String(EventJson.encode(record), java.nio.charset.StandardCharsets.UTF_8));
            }
        }

        /** Queues a message; sends them one at a time, each after the one before has gone. */
        void send(String message) {
            if (queued.incrementAndGet() > MAX_QUEUED) {
                log.warn("Closing a websocket whose client fell {} messages behind", MAX_QUEUED);
                session.close(1008, "too far behind", Callback.NOOP);
                return;
            }
            outbox.add(message);
            sendNext();
        }

        private void sendNext() {
            if (!session.isOpen() || !sending.compareAndSet(false, true)) {
                return;
            }
            String next = outbox.poll();
            if (next == null) {
                sending.set(false);
                if (!outbox.isEmpty()) {
                    sendNext();
                }
                return;
            }
            queued.decrementAndGet();
            session.sendText(next, Callback.from(() -> {
                sending.set(false);
                sendNext();
            }, error -> {
                sending.set(false);
                log.debug("Websocket send failed: {}", error.toString());
            }));
        }

        void close() {
            waiting.values().forEach(news -> news.cancel(false));
            waiting.clear();
            outbox.clear();
        }

        private String error(String message) {
            return new String(EventJson.encode(Map.of("error", message)), java.nio.charset.StandardCharsets.UTF_8);
        }

        private boolean ended(QuestionRecord record) {
            return record.status() == QuestionStatus.ANSWERED || record.status() == QuestionStatus.FAILED;
        }
    }
}
