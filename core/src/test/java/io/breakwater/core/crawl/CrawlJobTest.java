package io.breakwater.core.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.MalformedEventException;

class CrawlJobTest {

    @Test
    void shouldNormalizeTheUrlAProducerWroteAndNameItShortly() {
        CrawlJob job = EventJson.decode("{\"url\":\"HTTPS://Example.com:443/post#comments\",\"extra\":1}"
                .getBytes(StandardCharsets.UTF_8), CrawlJob.class);

        assertThat(job.url()).isEqualTo("https://example.com/post");
        assertThat(job.depth()).isZero();
        assertThat(job.schemaVersion()).isEqualTo(1);
        assertThat(job.id()).matches("[0-9a-f]{16}")
                .isEqualTo(new CrawlJob("https://EXAMPLE.com/post", 1, null).id())
                .isNotEqualTo(new CrawlJob("https://example.com/other", 0, null).id());
    }

    @Test
    void shouldSayWhatIsWrongWithABadJob() {
        assertThatThrownBy(() -> EventJson.decode("{\"depth\":1}".getBytes(StandardCharsets.UTF_8), CrawlJob.class))
                .isInstanceOf(MalformedEventException.class).hasMessageContaining("'url' is required");
        assertThatThrownBy(() -> new CrawlJob("ftp://example.com/x", 0, null))
                .hasMessageContaining("field 'url'").hasMessageContaining("not an http or https URL");
        assertThatThrownBy(() -> new CrawlJob("https://example.com/", 4, null))
                .hasMessageContaining("'depth' must be 0 to 3");
    }

    @Test
    void shouldHashAPagesContentSoAnUnchangedPageIsKnown() {
        CrawledPage page = CrawledPage.of("https://example.com/", "Title", "Text", null);

        assertThat(page.contentHash()).hasSize(64)
                .isEqualTo(CrawledPage.of("https://example.com/", "Title", "Text", null).contentHash())
                .isNotEqualTo(CrawledPage.of("https://example.com/", "Title", "Text!", null).contentHash())
                .isNotEqualTo(CrawledPage.of("https://example.com/", "TitleText", "", null).contentHash());
    }
}
