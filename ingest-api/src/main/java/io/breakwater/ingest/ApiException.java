package io.breakwater.ingest;

/** A request that ends with an HTTP error status and a message a person understands. */
final class ApiException extends RuntimeException {

    private final int status;
    private final java.util.Map<String, String> headers;

    ApiException(int status, String message) {
        this(status, message, java.util.Map.of());
    }

    /** @param headers sent with the error, such as {@code Retry-After} or {@code WWW-Authenticate} */
    ApiException(int status, String message, java.util.Map<String, String> headers) {
        super(message);
        this.status = status;
        this.headers = java.util.Map.copyOf(headers);
    }

    int status() {
        return status;
    }

    java.util.Map<String, String> headers() {
        return headers;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, message);
    }
}
