package io.breakwater.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A port nobody listens on right now, for servers that must name their port before they bind it. Chosen below the
 * system's ephemeral range, not by binding port 0: a port the system hands out for port 0 or for an outgoing
 * connection can be handed out again before the server that was given it binds it (a proxy or a client in the same
 * test took a broker's port that way). Never the same port twice in one JVM.
 */
public final class FreePort {

    private static final int LOWEST = 15_000;
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    private FreePort() {
    }

    public static int find() {
        int below = ephemeralLow();
        for (int attempt = 0; below - LOWEST > 1000 && attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
            if (GIVEN.add(port) && bindable(port)) {
                return port;
            }
        }
        // No room below the ephemeral range on this system: ask the system, as a last resort.
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            GIVEN.add(socket.getLocalPort());
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on this machine", e);
        }
    }

    private static boolean bindable(int port) {
        // The wildcard address: taken if anyone listens on the port, on any address.
        try (ServerSocket any = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the system's ephemeral range (Linux), or 32768, the usual start. */
    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
