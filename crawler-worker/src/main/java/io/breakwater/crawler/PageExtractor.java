package io.breakwater.crawler;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import io.breakwater.core.crawl.CrawlUrl;

/**
 * A fetched page's title, main text and links (jsoup). The text leaves out what is not the page's content:
 * scripts, styles, navigation, headers, footers, asides and forms; it keeps paragraphs apart, so that passages can
 * be cut along them. Links are those on the same host, normalized, at most {@link #MAX_LINKS}.
 */
final class PageExtractor {

    static final int MAX_LINKS = 100;
    /** A page's text beyond this is cut: a page record must fit a Kafka message. */
    static final int MAX_TEXT_CHARS = 400_000;
    /**
     * A page's text beyond this many UTF-8 bytes is cut too (at a character's edge): 400,000 CJK characters are
     * 1.2 MB, and a page record must fit {@code crawl.pages} (1 MB a message by default) with its title and URL.
     */
    static final int MAX_TEXT_BYTES = 512 * 1024;
    /** A title beyond this is cut. */
    static final int MAX_TITLE_CHARS = 1_000;

    private static final String NOT_CONTENT = "script, style, noscript, template, nav, header, footer, aside, form, "
            + "iframe, svg, [role=navigation], [aria-hidden=true]";
    private static final String BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, pre, blockquote, td, th, dd, dt, figcaption";

    private PageExtractor() {
    }

    /**
     * @param page the fetched page
     */
    static ExtractedPage extract(FetchResult.Fetched page) {
        Charset charset = charset(page.charset());
        if (page.contentType().equals("text/plain")) {
            String text = new String(page.body(), charset).strip();
            String path = page.finalUrl().replaceFirst("[?#].*$", "");
            String title = path.substring(path.lastIndexOf('/') + 1);
            return page(title.isEmpty() ? page.finalUrl() : title, text, List.of());
        }
        Document document;
        try {
            document = Jsoup.parse(new ByteArrayInputStream(page.body()), page.charset() == null ? null : charset.name(),
                    page.finalUrl());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> links = links(document, CrawlUrl.host(page.finalUrl()));
        document.select(NOT_CONTENT).remove();
        String title = document.title().strip();
        if (title.isEmpty()) {
            Element heading = document.selectFirst("h1");
            title = heading == null ? page.finalUrl() : heading.text().strip();
        }
        Element main = document.selectFirst("main, article, [role=main]");
        Element content = main != null ? main : document.body();
        return page(title, text(content), links);
    }

    private static String text(Element content) {
        if (content == null) {
            return "";
        }
        List<String> paragraphs = new ArrayList<>();
        for (Element block : content.select(BLOCKS)) {
            // Only the innermost blocks (select counts the block itself): a list item's paragraph is said once.
            if (block.select(BLOCKS).size() == 1) {
                String text = block.text().strip();
                if (!text.isEmpty()) {
                    paragraphs.add(text);
                }
            }
        }
        return paragraphs.isEmpty() ? content.text().strip() : String.join("\n\n", paragraphs);
    }

    private static List<String> links(Document document, String host) {
        Set<String> links = new LinkedHashSet<>();
        for (Element anchor : document.select("a[href]")) {
            String absolute = anchor.absUrl("href");
            if (absolute.isEmpty()) {
                continue;
            }
            try {
                String normal = CrawlUrl.normalize(absolute);
                if (Objects.equals(CrawlUrl.host(normal), host)) {
                    links.add(normal);
                }
            } catch (IllegalArgumentException e) {
                // mailto:, javascript:, and the like: not pages
            }
            if (links.size() >= MAX_LINKS) {
                break;
            }
        }
        return List.copyOf(links);
    }

    private static ExtractedPage page(String title, String text, List<String> links) {
        String cut = cut(text);
        String shortTitle = title.length() <= MAX_TITLE_CHARS ? title
                : title.substring(0, Character.isHighSurrogate(title.charAt(MAX_TITLE_CHARS - 1))
                        ? MAX_TITLE_CHARS - 1 : MAX_TITLE_CHARS);
        return new ExtractedPage(shortTitle, cut, links, cut.length() < text.length());
    }

    /** At most {@link #MAX_TEXT_CHARS} characters and {@link #MAX_TEXT_BYTES} UTF-8 bytes of {@code text}. */
    static String cut(String text) {
        int bytes = 0;
        int end = 0;
        while (end < text.length() && end < MAX_TEXT_CHARS) {
            int codePoint = text.codePointAt(end);
            int size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            int chars = Character.charCount(codePoint);
            if (bytes + size > MAX_TEXT_BYTES || end + chars > MAX_TEXT_CHARS) {
                break;
            }
            bytes += size;
            end += chars;
        }
        return end == text.length() ? text : text.substring(0, end);
    }

    private static Charset charset(String name) {
        try {
            return name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }

    /**
     * @param title the page's title, or its first heading, or its URL
     * @param text its main text, paragraphs separated by blank lines
     * @param links same-host pages it links to, normalized
     */
    /** @param truncated whether the text was cut at {@link #MAX_TEXT_CHARS} or {@link #MAX_TEXT_BYTES} */
    record ExtractedPage(String title, String text, List<String> links, boolean truncated) {
    }
}
