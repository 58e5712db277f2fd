package io.breakwater.core.crawl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A crawled page's text: the value on {@code crawl.pages} (compacted), keyed by its normalized URL; what the QA
 * worker searches for context and cites as a source.
 *
 * @param schemaVersion the event schema's version; missing means {@value #SCHEMA_VERSION}
 * @param url the normalized URL the page was found at
 * @param title its title
 * @param text its main text, paragraphs separated by blank lines
 * @param contentHash SHA-256 of title and text, hex: an unchanged page is not stored or published again
 * @param fetchedAt when it was fetched
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CrawledPage(int schemaVersion, String url, String title, String text, String contentHash,
                          Instant fetchedAt) {

    public static final int SCHEMA_VERSION = 1;

    public CrawledPage {
        schemaVersion = schemaVersion == 0 ? SCHEMA_VERSION : schemaVersion;
        Objects.requireNonNull(url, "a page needs its 'url'");
        title = title == null ? "" : title;
        text = text == null ? "" : text;
        contentHash = contentHash == null ? hash(title, text) : contentHash;
    }

    public static CrawledPage of(String url, String title, String text, Instant fetchedAt) {
        return new CrawledPage(SCHEMA_VERSION, url, title, text, null, fetchedAt);
    }

    /** SHA-256 of the title and text, hex. */
    public static String hash(String title, String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(title.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
