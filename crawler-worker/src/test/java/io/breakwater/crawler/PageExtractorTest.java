package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.breakwater.testkit.TestSite;

class PageExtractorTest {

    @Test
    void shouldKeepTheTitleAndMainTextWithoutNavigationScriptsOrStyles() throws Exception {
        try (TestSite site = TestSite.start()) {
            String html = new String(java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(site.url("/index.html"))).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);

            PageExtractor.ExtractedPage page = PageExtractor.extract(new FetchResult.Fetched(site.url("/index.html"),
                    "text/html", "utf-8", html.getBytes(StandardCharsets.UTF_8)));

            assertThat(page.title()).isEqualTo(TestSite.INDEX_TITLE);
            assertThat(page.text()).contains(TestSite.FACT).contains("Rubble-mound breakwaters")
                    .doesNotContain("Navigation menu").doesNotContain("tracking").doesNotContain("navy")
                    .doesNotContain("Footer text").doesNotContain("Site header");
            assertThat(page.text().split("\n\n")).as("one paragraph each, none twice")
                    .containsExactly("Harbour facts", TestSite.FACT,
                            "Rubble-mound breakwaters absorb wave energy with layers of rock and concrete units.",
                            "A listed paragraph",
                            "See the second page, a private one, another site and mail.");
            assertThat(page.links()).as("same host, normalized, no mail")
                    .containsExactly(site.url("/"), site.url("/second.html"), site.url("/private/secret.html"));
        }
    }

    @Test
    void shouldTakePlainTextAsItIsAndNameItAfterItsFile() {
        PageExtractor.ExtractedPage page = PageExtractor.extract(new FetchResult.Fetched("http://example.com/docs/notes.txt",
                "text/plain", null, "Tetrapods interlock.\n\nAccropodes too.".getBytes(StandardCharsets.UTF_8)));

        assertThat(page.title()).isEqualTo("notes.txt");
        assertThat(page.text()).isEqualTo("Tetrapods interlock.\n\nAccropodes too.");
        assertThat(page.links()).isEmpty();
    }

    @Test
    void shouldFallBackToTheFirstHeadingOrTheUrlForATitle() {
        PageExtractor.ExtractedPage page = PageExtractor.extract(new FetchResult.Fetched("http://example.com/a",
                "text/html", null, "<body><h1>Caissons</h1><p>Sunk in place.</p></body>".getBytes(StandardCharsets.UTF_8)));

        assertThat(page.title()).isEqualTo("Caissons");
    }

    @Test
    void shouldCutTheTextAtItsByteLimitInUtf8AndSaySo() {
        String html = "<html><head><title>" + "T".repeat(5_000) + "</title></head><body><p>" + TestSite.cjk(
                TestSite.CJK_CHARACTERS) + "</p></body></html>";

        PageExtractor.ExtractedPage page = PageExtractor.extract(new FetchResult.Fetched("http://example.com/cjk",
                "text/html", "utf-8", html.getBytes(StandardCharsets.UTF_8)));

        assertThat(page.text().getBytes(StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(PageExtractor.MAX_TEXT_BYTES).isGreaterThan(PageExtractor.MAX_TEXT_BYTES - 4);
        assertThat(page.truncated()).isTrue();
        assertThat(page.title()).hasSize(PageExtractor.MAX_TITLE_CHARS);
    }

    @Test
    void shouldNeverSplitACharacterWhenCutting() {
        String text = "\uD83C\uDF0A".repeat(PageExtractor.MAX_TEXT_BYTES / 4 + 10);

        String cut = PageExtractor.cut(text);

        assertThat(cut.getBytes(StandardCharsets.UTF_8)).hasSize(PageExtractor.MAX_TEXT_BYTES);
        assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - 1))).isFalse();
    }
}
