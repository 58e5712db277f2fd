package io.breakwater.ingest;

import java.nio.ByteBuffer;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import io.breakwater.core.event.EventJson;

/**
 * Jetty's own errors, for requests it refuses before the API sees them (a path with {@code %00}, headers too large,
 * a URI too long), as the same JSON as every other error instead of an HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body(code, message)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(status, reason));
    }

    private static byte[] body(int code, String message) {
        String why = switch (code) {
            case 400 -> "The request could not be read";
            case 414 -> "The request's URI is too long";
            case 431 -> "The request's headers are too large";
            default -> "The request was refused";
        };
        String detail = message == null || message.isBlank() ? "" : " (" + (message.length() > 100
                ? message.substring(0, 100) : message) + ")";
        return EventJson.encode(new ApiError(why + detail + ". Encode the path and keep headers small.", code));
    }
}
