package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.breakwater.core.config.ConfigException;

class ClientAddressTest {

    private final ClientAddress behindProxies = ClientAddress.parse("10.0.0.0/8, 192.168.1.7, fd00::/8");

    @Test
    void shouldIgnoreForwardedForFromAPeerThatIsNotATrustedProxy() {
        assertThat(behindProxies.resolve("203.0.113.5", "198.51.100.1")).isEqualTo("203.0.113.5");
        assertThat(ClientAddress.parse("").resolve("127.0.0.1", "198.51.100.1")).isEqualTo("127.0.0.1");
    }

    @Test
    void shouldTakeTheRightMostUntrustedAddressFromATrustedPeer() {
        assertThat(behindProxies.resolve("10.1.2.3", "forged, 198.51.100.1, 10.9.9.9")).isEqualTo("198.51.100.1");
        assertThat(behindProxies.resolve("192.168.1.7", "2001:db8::1")).isEqualTo("2001:db8::1");
        assertThat(behindProxies.resolve("fd12::1", "[2001:db8::2], fd00::9")).isEqualTo("2001:db8::2");
        assertThat(behindProxies.resolve("10.1.2.3", "10.0.0.2, 10.0.0.1")).as("all trusted: the left-most")
                .isEqualTo("10.0.0.2");
        assertThat(behindProxies.resolve("10.1.2.3", null)).isEqualTo("10.1.2.3");
    }

    @Test
    void shouldRefuseAForwardedForThatIsTooLongTooManyOrNotAddressesWith400() {
        assertThatThrownBy(() -> behindProxies.resolve("10.1.2.3", "10.0.0.1, ".repeat(200) + "10.0.0.1"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("at most 1024 characters");
        assertThatThrownBy(() -> behindProxies.resolve("10.1.2.3", "10.0.0.1,".repeat(21) + "10.0.0.1"))
                .hasMessageContaining("at most 20 addresses");
        assertThatThrownBy(() -> behindProxies.resolve("10.1.2.3", "198.51.100.1, example.com"))
                .hasMessageContaining("must list IP addresses");
        assertThatThrownBy(() -> behindProxies.resolve("10.1.2.3", "300.1.1.1")).hasMessageContaining("must list IP");
    }

    @Test
    void shouldRefuseATrustedProxiesSettingThatIsNotAddresses() {
        for (String bad : List.of("example.com", "10.0.0.0/33", "10.0.0.0/x", "fd00::/129", "1.2.3")) {
            assertThatThrownBy(() -> ClientAddress.parse(bad)).as(bad).isInstanceOf(ConfigException.class);
        }
    }

    @Test
    void shouldForgetIdleRateLimitBucketsAndHoldAtMostTheirBound() {
        AtomicLong nanos = new AtomicLong();
        ApiAccess access = new ApiAccess(List.of(), 1, 1, ClientAddress.parse(""), nanos::get);
        for (int i = 0; i < ApiAccess.MAX_BUCKETS + 5_000; i++) {
            access.take("address:" + i);
        }
        assertThat(access.buckets()).isLessThanOrEqualTo(ApiAccess.MAX_BUCKETS);

        nanos.addAndGet(ApiAccess.BUCKET_IDLE.plus(Duration.ofSeconds(1)).toNanos());

        assertThat(access.buckets()).isZero();
    }
}
