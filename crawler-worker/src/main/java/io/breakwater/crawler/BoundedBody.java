package io.breakwater.crawler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import io.breakwater.core.time.OutsideTime;

/** Reads a response body from outside with a size limit and a deadline: an endless or trickling body ends. */
final class BoundedBody {

    private static final int CHUNK = 16 * 1024;

    private BoundedBody() {
    }

    /**
     * At most {@code maxBytes} of {@code body} (a longer body is cut there, not failed: the caller decides), read
     * within {@code timeout} of now.
     *
     * @throws HttpTimeoutException if the body is still arriving after {@code timeout}
     */
    static byte[] read(InputStream body, int maxBytes, Clock clock, Duration timeout) throws IOException {
        Instant deadline = OutsideTime.plusSaturated(clock.instant(), timeout);
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, CHUNK));
        byte[] chunk = new byte[CHUNK];
        while (out.size() < maxBytes) {
            int read = body.read(chunk, 0, Math.min(CHUNK, maxBytes - out.size()));
            if (read < 0) {
                break;
            }
            out.write(chunk, 0, read);
            if (clock.instant().isAfter(deadline)) {
                throw new HttpTimeoutException("the body was still arriving after " + timeout.toMillis() + " ms ("
                        + out.size() + " bytes)");
            }
        }
        return out.toByteArray();
    }
}
