package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressGuardTest {

    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, loopback", "::1, loopback", "10.0.0.8, private", "172.16.4.1, private", "192.168.1.1, private",
            "169.254.169.254, link-local", "fe80::1, link-local", "224.0.0.1, multicast", "0.0.0.0, unspecified",
            "100.64.0.1, shared (carrier-grade NAT)", "fd12:3456::1, private (unique local)",
            "::ffff:10.0.0.1, private"})
    void shouldNameTheKindOfEveryInternalAddress(String address, String kind) throws Exception {
        assertThat(AddressGuard.internalKind(InetAddress.getByName(address))).contains(kind);
    }

    @ParameterizedTest
    @CsvSource({
            "64:ff9b::127.0.0.1, loopback", "64:ff9b::10.0.0.1, private", "64:ff9b::a9fe:a9fe, link-local",
            "64:ff9b:1::a00:1, local-use NAT64", "64:ff9b:1:ffff::8.8.8.8, local-use NAT64",
            "2002:7f00:1::, loopback", "2002:a00:1::1, private", "2002:a9fe:a9fe::1, link-local",
            "::127.0.0.1, loopback", "::10.0.0.1, private", "::169.254.169.254, link-local", "::192.168.0.1, private",
            "2001:0:4136:e378:8000:63bf:f5ff:fffe, private"})
    void shouldJudgeAnIpv6AddressThatCarriesAnIpv4AddressAsThatIpv4Address(String address, String kind)
            throws Exception {
        assertThat(AddressGuard.internalKind(InetAddress.getByName(address))).contains(kind);
    }

    @ParameterizedTest
    @CsvSource({"64:ff9b::8.8.8.8", "2002:808:808::1", "::8.8.8.8"})
    void shouldLetAnIpv6AddressCarryingAPublicIpv4AddressThrough(String address) throws Exception {
        assertThat(AddressGuard.internalKind(InetAddress.getByName(address))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"93.184.215.14", "8.8.8.8", "2606:4700::6810:85e5", "172.32.0.1", "100.128.0.1"})
    void shouldLetPublicAddressesThrough(String address) throws Exception {
        assertThat(AddressGuard.internalKind(InetAddress.getByName(address))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"http://metadata.internal/latest, 169.254.169.254", "https://intranet.example.com/, 10.0.0.5"})
    void shouldRefuseAPublicLookingNameThatResolvesInside(String url, String address) throws Exception {
        AddressGuard guard = new AddressGuard(Set.of(), host -> new InetAddress[] {InetAddress.getByName(address)});

        assertThat(guard.refusal(URI.create(url))).hasValueSatisfying(why -> assertThat(why).contains(address));
    }

    @ParameterizedTest
    @CsvSource({"http://LocalHost:8080/page", "http://localhost/"})
    void shouldFetchAnAllowedHostWhateverItResolvesTo(String url) throws Exception {
        AddressGuard guard = new AddressGuard(Set.of("localhost"), host -> new InetAddress[] {InetAddress.getLoopbackAddress()});

        assertThat(guard.refusal(URI.create(url))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"ftp://example.com/file", "file:///etc/passwd"})
    void shouldFetchOnlyHttpAndHttps(String url) throws Exception {
        AddressGuard guard = new AddressGuard(Set.of(), host -> new InetAddress[0]);

        assertThat(guard.refusal(URI.create(url))).hasValueSatisfying(why -> assertThat(why).contains("only http and https"));
    }
}
