package io.breakwater.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.breakwater.core.breaker.FleetHealth;
import io.breakwater.core.concurrent.DaemonThreads;
import io.breakwater.core.event.EventJson;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;

/**
 * The live dashboard: {@code GET /} (a page that reads on a phone too), {@code GET /dashboard/state} (every
 * breaker from {@code breaker.health}, and how much work is parked or dead-lettered) and
 * {@code GET /dashboard/events}, server-sent events that push the state on every change of a breaker and every few
 * seconds.
 */
final class DashboardRoutes implements AutoCloseable {

    static final String PAGE = "/";
    static final String STATE = "/dashboard/state";
    static final String EVENTS = "/dashboard/events";
    /** Dashboards following {@link #EVENTS} at once; more get an error event and are closed. */
    static final int MAX_EVENT_CLIENTS = 100;

    private final FleetHealth fleet;
    private final Backlog backlog;
    private final Clock clock;
    private final String page;
    private final Set<SseClient> clients = new CopyOnWriteArraySet<>();
    private final ScheduledExecutorService pusher = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("bw-ingest-dashboard"));

    DashboardRoutes(FleetHealth fleet, Backlog backlog, Clock clock) {
        this.fleet = fleet;
        this.backlog = backlog;
        this.clock = clock;
        this.page = resource("/dashboard/index.html");
        fleet.onUpdate(health -> pusher.execute(this::pushAll));
        pusher.scheduleWithFixedDelay(this::pushAll, 3, 3, TimeUnit.SECONDS);
    }

    void page(Context ctx) {
        // Inline JSON in a script: "</" must not end the script early.
        ctx.contentType("text/html; charset=utf-8").result(page.replace("/*STATE*/null", stateJson().replace("</", "<\\/")));
    }

    void state(Context ctx) {
        ctx.contentType("application/json").result(stateJson());
    }

    void events(SseClient client) {
        if (clients.size() >= MAX_EVENT_CLIENTS) {
            // The stream has begun (200) already: say why in an event, then end it.
            client.sendEvent("error", "{\"error\": \"At most " + MAX_EVENT_CLIENTS + " dashboards may follow events at"
                    + " once; reload later, or poll " + STATE + ".\", \"status\": 503}");
            client.close();
            return;
        }
        client.keepAlive();
        client.onClose(() -> clients.remove(client));
        clients.add(client);
        client.sendEvent("state", stateJson());
    }

    @Override
    public void close() {
        // The server's stop closes the clients' connections.
        pusher.shutdownNow();
        clients.clear();
    }

    private void pushAll() {
        if (clients.isEmpty()) {
            return;
        }
        String state = stateJson();
        for (SseClient client : clients) {
            if (client.terminated()) {
                clients.remove(client);
            } else {
                client.sendEvent("state", state);
            }
        }
    }

    private String stateJson() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("at", clock.instant().toString());
        state.put("breakers", fleet.breakers());
        state.put("backlog", backlog.latest());
        return new String(EventJson.encode(state), StandardCharsets.UTF_8);
    }

    private static String resource(String path) {
        try (InputStream in = DashboardRoutes.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
