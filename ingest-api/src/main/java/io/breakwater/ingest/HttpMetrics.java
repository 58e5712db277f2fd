package io.breakwater.ingest;

import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.prometheus.metrics.core.metrics.Histogram;

import io.breakwater.core.metrics.ProcessMetrics;

/**
 * {@code breakwater_http_request_seconds{method, route, status}}: how long the API took to answer, by route template
 * ({@code /api/v1/questions/{id}}, not each id), so the number of series stays small. A long poll's wait counts.
 */
final class HttpMetrics {

    private static final Histogram REQUEST_SECONDS = Histogram.builder().name("breakwater_http_request_seconds")
            .help("How long the ingest API took to answer a request, by method, route template and status")
            .labelNames("method", "route", "status")
            .classicOnly()
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
            .register(ProcessMetrics.registry());

    private HttpMetrics() {
    }

    static void observe(Context ctx, Float millis) {
        REQUEST_SECONDS.labelValues(ctx.method().name(), route(ctx), Integer.toString(ctx.statusCode()))
                .observe(millis / 1000.0);
    }

    private static String route(Context ctx) {
        Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
        return matched == null ? "unmatched" : matched.path;
    }
}
