package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.config.Settings;
import io.breakwater.core.time.OutsideTime;
import io.breakwater.testkit.TestSite;

/** Fetching as a careful citizen, against a real local site. */
class PageFetcherTest {

    private static TestSite site;
    private static PageFetcher fetcher;

    @BeforeAll
    static void start() {
        site = TestSite.start();
        site.slowPageDelay(Duration.ofSeconds(3));
        fetcher = fetcher(Set.of("127.0.0.1"), Map.of("crawler.timeout.seconds", "1", "crawler.politeness.seconds", "0"));
    }

    @AfterAll
    static void stop() {
        site.close();
    }

    @Test
    void shouldFetchAPageWithItsTypeAndCharset() {
        FetchResult result = fetcher.fetch(site.url("/index.html"), Duration.ZERO);

        assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, page -> {
            assertThat(page.finalUrl()).isEqualTo(site.url("/index.html"));
            assertThat(page.contentType()).isEqualTo("text/html");
            assertThat(page.charset()).isEqualTo("utf-8");
            assertThat(new String(page.body())).contains(TestSite.FACT);
        });
    }

    @Test
    void shouldFollowARedirectAndSayWhereThePageWasFound() {
        assertThat(fetcher.fetch(site.url("/moved"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Fetched.class,
                page -> assertThat(page.finalUrl()).isEqualTo(site.url("/index.html")));
    }

    @Test
    void shouldGiveUpOnARedirectLoop() {
        assertThat(fetcher.fetch(site.url("/loop-a"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Failed.class,
                failed -> assertThat(failed.reason()).contains("more than 5 redirects"));
    }

    @Test
    void shouldHonourRobotsTxtAndAskForItOncePerSite() {
        PageFetcher fresh = fetcher(Set.of("127.0.0.1"), Map.of("crawler.politeness.seconds", "0"));
        int robotsBefore = site.requests("/robots.txt");

        assertThat(fresh.fetch(site.url("/private/secret.html"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Skipped.class,
                skipped -> {
                    assertThat(skipped.reason()).isEqualTo("robots");
                    assertThat(skipped.detail()).contains("disallows /private/secret.html");
                });
        fresh.fetch(site.url("/second.html"), Duration.ZERO);

        assertThat(site.requests("/private/secret.html")).isZero();
        assertThat(site.requests("/robots.txt") - robotsBefore).isEqualTo(1);
    }

    @Test
    void shouldSkipPagesOverTheSizeLimitWhetherOrNotTheyAnnounceTheirLength() {
        assertThat(fetcher.fetch(site.url("/big.html"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Skipped.class,
                skipped -> assertThat(skipped.reason()).isEqualTo("size"));
        assertThat(fetcher.fetch(site.url("/big-stream.html"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Skipped.class,
                skipped -> assertThat(skipped.detail()).contains("more than 2097152 bytes"));
    }

    @Test
    void shouldSkipWhatIsNotHtmlOrText() {
        assertThat(fetcher.fetch(site.url("/image.png"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Skipped.class,
                skipped -> {
                    assertThat(skipped.reason()).isEqualTo("type");
                    assertThat(skipped.detail()).contains("image/png");
                });
        assertThat(fetcher.fetch(site.url("/notes.txt"), Duration.ZERO)).isInstanceOf(FetchResult.Fetched.class);
    }

    @Test
    void shouldEndAMissingPageAsFailedButCallAFailingOrSlowHostUnavailable() {
        assertThat(fetcher.fetch(site.url("/missing.html"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Failed.class,
                failed -> assertThat(failed.reason()).contains("HTTP 404"));
        assertThatThrownBy(() -> fetcher.fetch(site.url("/boom.html"), Duration.ZERO))
                .isInstanceOf(DependencyUnavailableException.class).hasMessageContaining("HTTP 500");
        assertThatThrownBy(() -> fetcher.fetch(site.url("/busy.html"), Duration.ZERO))
                .isInstanceOfSatisfying(DependencyUnavailableException.class,
                        e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(7)));
        assertThatThrownBy(() -> fetcher.fetch(site.url("/slow.html"), Duration.ZERO))
                .isInstanceOf(DependencyUnavailableException.class).hasMessageContaining("did not answer");
    }

    @Test
    void shouldClampAHugeRetryAfterToAnHour() {
        assertThatThrownBy(() -> fetcher.fetch(site.url("/retry-after-huge.html"), Duration.ZERO))
                .isInstanceOfSatisfying(DependencyUnavailableException.class,
                        e -> assertThat(e.retryAfter()).contains(OutsideTime.MAX_RETRY_AFTER));
    }

    @Test
    void shouldReadOnlyTheFirstPartOfAnEndlessRobotsTxtAndFetchThePage() {
        try (TestSite endless = TestSite.start()) {
            endless.endlessRobotsTxt();
            PageFetcher fresh = fetcher(Set.of("127.0.0.1"), Map.of("crawler.politeness.seconds", "0",
                    "crawler.timeout.seconds", "5"));

            assertThat(fresh.fetch(endless.url("/index.html"), Duration.ZERO)).isInstanceOf(FetchResult.Fetched.class);
        }
    }

    @Test
    void shouldRefuseLoopbackAndPrivateAddressesUnlessAllowedAlsoAfterARedirect() {
        PageFetcher careful = fetcher(Set.of(), Map.of("crawler.politeness.seconds", "0"));

        assertThat(careful.fetch(site.url("/index.html"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Failed.class,
                failed -> assertThat(failed.reason()).contains("127.0.0.1, a loopback address")
                        .contains("BW_CRAWLER_ALLOWED_HOSTS"));
        assertThat(fetcher.fetch(site.url("/to-private"), Duration.ZERO)).isInstanceOfSatisfying(FetchResult.Failed.class,
                failed -> assertThat(failed.reason()).contains("10.1.2.3, a private address"));
        assertThat(site.requests("/internal")).isZero();
    }

    @Test
    void shouldWaitThePolitenessGapBetweenRequestsToOneHost() throws Exception {
        PageFetcher polite = fetcher(Set.of("127.0.0.1"), Map.of("crawler.politeness.seconds", "0.3"));
        polite.fetch(site.url("/second.html"), Duration.ZERO);

        long start = System.nanoTime();
        for (String path : List.of("/notes.txt", "/second.html")) {
            PageFetcher.Turn turn = polite.awaitTurn(site.url(path));
            assertThat(turn.later()).isEmpty();
            polite.fetch(site.url(path), turn.gap());
        }

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(550));
    }

    private static PageFetcher fetcher(Set<String> allowed, Map<String, String> overrides) {
        Map<String, String> values = new java.util.HashMap<>(overrides);
        values.put("crawler.allowed.hosts", String.join(",", allowed));
        CrawlerSettings settings = CrawlerSettings.from(Settings.of(values));
        AddressGuard guard = new AddressGuard(settings.allowedHosts(), host -> host.equals("127.0.0.1")
                ? new InetAddress[] {InetAddress.getLoopbackAddress()} : InetAddress.getAllByName(host));
        var client = PageFetcher.newClient(settings);
        return new PageFetcher(client, guard, new RobotsRules(client, settings, Clock.systemUTC()), new HostPacer(), settings);
    }
}
