package io.breakwater.ingest;

/** The body of every error response: {@code {"error": "...", "status": 400}}. */
record ApiError(String error, int status) {
}
