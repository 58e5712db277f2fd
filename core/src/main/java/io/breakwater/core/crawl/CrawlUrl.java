package io.breakwater.core.crawl;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A page's address in the one form Breakwater keys it by: scheme and host lower-cased, the default port and the
 * fragment dropped, an empty path made {@code /}. So {@code HTTPS://Example.com:443/a#top} and
 * {@code https://example.com/a} are one page, one crawl job and one stored document. Only http and https.
 */
public final class CrawlUrl {

    private CrawlUrl() {
    }

    /** @throws IllegalArgumentException if {@code url} is not an absolute http(s) URL with a host, saying why */
    public static String normalize(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("the URL is empty");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("'" + url + "' is not an http or https URL");
        }
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("'" + url + "' has no host");
        }
        int port = uri.getPort();
        boolean defaultPort = port == -1 || port == 80 && scheme.equals("http") || port == 443 && scheme.equals("https");
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        StringBuilder normal = new StringBuilder(scheme).append("://").append(host.toLowerCase(Locale.ROOT));
        if (!defaultPort) {
            normal.append(':').append(port);
        }
        normal.append(path);
        if (uri.getRawQuery() != null) {
            normal.append('?').append(uri.getRawQuery());
        }
        return normal.toString();
    }

    /**
     * A page's short, URL-safe name: the first 16 hex digits of the SHA-256 of its normalized URL. Stable, so the
     * same page always has the same crawl job id.
     */
    public static String id(String normalizedUrl) {
        return CrawledPage.hash(normalizedUrl, "").substring(0, 16);
    }

    /** The host of a normalized URL, lower-cased: what per-host breakers and politeness are keyed by. */
    public static String host(String normalizedUrl) {
        return URI.create(normalizedUrl).getHost();
    }
}
