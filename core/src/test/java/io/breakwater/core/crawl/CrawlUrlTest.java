package io.breakwater.core.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CrawlUrlTest {

    @ParameterizedTest
    @CsvSource({
            "HTTPS://Example.COM:443/a/b#top, https://example.com/a/b",
            "http://example.com:80, http://example.com/",
            "http://example.com:8080/x?q=1#f, http://example.com:8080/x?q=1",
            "https://example.com:80/, https://example.com:80/",
            "  https://blog.example.com/Post?A=B  , https://blog.example.com/Post?A=B"})
    void shouldKeepOneFormPerPage(String url, String normal) {
        assertThat(CrawlUrl.normalize(url)).isEqualTo(normal);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ftp://example.com/file | not an http or https URL",
            "file:///etc/passwd | not an http or https URL",
            "example.com/page | not an http or https URL",
            "https:///nohost | has no host",
            "http://exa mple.com/ | not a valid URL"})
    void shouldRefuseWhatIsNotAWebPageSayingWhy(String url, String why) {
        assertThatThrownBy(() -> CrawlUrl.normalize(url)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why);
    }

    @ParameterizedTest
    @CsvSource({"https://Blog.Example.com:8443/x, blog.example.com"})
    void shouldNameTheHostOfAPage(String url, String host) {
        assertThat(CrawlUrl.host(CrawlUrl.normalize(url))).isEqualTo(host);
    }
}
