package io.breakwater.qa;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read as UTF-8 text up to a limit: a larger body is refused as soon as it passes the limit, without
 * reading the rest, so an endpoint that streams without end cannot fill the heap. Thread-safe as the JDK's client
 * requires of a body subscriber.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<String> {

    /** Thrown (as the body's failure) when the body is larger than the limit. */
    static final class TooLarge extends IOException {
        TooLarge(long limit) {
            super("the response body is larger than " + limit + " bytes");
        }
    }

    private final int limit;
    private final ByteArrayOutputStream chunks;
    private final CompletableFuture<String> result = new CompletableFuture<>();
    private int length;
    private Flow.Subscription subscription;

    private BoundedBody(int limit) {
        this.limit = limit;
        this.chunks = new ByteArrayOutputStream(Math.min(limit, 64 * 1024));
    }

    /** A handler whose bodies are at most {@code limit} bytes. */
    static HttpResponse.BodyHandler<String> upTo(int limit) {
        return info -> new BoundedBody(limit);
    }

    @Override
    public CompletionStage<String> getBody() {
        return result;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer item : items) {
            int remaining = item.remaining();
            if ((long) length + remaining > limit) {
                subscription.cancel();
                result.completeExceptionally(new TooLarge(limit));
                return;
            }
            byte[] bytes = new byte[remaining];
            item.get(bytes);
            chunks.write(bytes, 0, remaining);
            length += remaining;
        }
    }

    @Override
    public synchronized void onError(Throwable error) {
        result.completeExceptionally(error);
    }

    @Override
    public synchronized void onComplete() {
        result.complete(chunks.toString(StandardCharsets.UTF_8));
    }
}
