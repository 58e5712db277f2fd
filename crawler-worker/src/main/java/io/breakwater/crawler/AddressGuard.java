package io.breakwater.crawler;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Keeps the crawler off internal networks (SSRF): a URL whose host resolves to a loopback, private, link-local,
 * shared (carrier-grade NAT), multicast or unspecified address is refused, unless its host is listed in
 * {@code crawler.allowed.hosts}. Checked on every URL the fetcher is about to request, redirects included.
 *
 * <p>The check resolves the name itself, and the HTTP client resolves it again to connect: a DNS server that
 * answers differently within that moment (DNS rebinding) is not caught here. Run the crawler where its network
 * cannot reach what it must not.
 */
final class AddressGuard {

    /** Resolves a host name to every address it has. */
    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final Set<String> allowedHosts;
    private final Resolver resolver;

    AddressGuard(Set<String> allowedHosts, Resolver resolver) {
        this.allowedHosts = allowedHosts.stream().map(host -> host.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        this.resolver = resolver;
    }

    static AddressGuard resolvingWithDns(Set<String> allowedHosts) {
        return new AddressGuard(allowedHosts, InetAddress::getAllByName);
    }

    /**
     * Why {@code uri} must not be fetched, if it must not.
     *
     * @throws UnknownHostException if its host does not resolve
     */
    Optional<String> refusal(URI uri) throws UnknownHostException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Optional.of("only http and https are fetched, not '" + scheme + "'");
        }
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (host.isEmpty()) {
            return Optional.of("the URL has no host");
        }
        if (allowedHosts.contains(host)) {
            return Optional.empty();
        }
        for (InetAddress address : resolver.resolve(host)) {
            Optional<String> kind = internalKind(address);
            if (kind.isPresent()) {
                return Optional.of(host + " resolves to " + address.getHostAddress() + ", a " + kind.get()
                        + " address; list it in BW_CRAWLER_ALLOWED_HOSTS to crawl it anyway");
            }
        }
        return Optional.empty();
    }

    /** What kind of internal address {@code address} is, if it is one. */
    static Optional<String> internalKind(InetAddress address) {
        if (address instanceof Inet6Address v6 && isIpv4Mapped(v6.getAddress())) {
            byte[] bytes = v6.getAddress();
            try {
                return internalKind(InetAddress.getByAddress(new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]}));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        if (address.isLoopbackAddress()) {
            return Optional.of("loopback");
        }
        if (address.isAnyLocalAddress()) {
            return Optional.of("unspecified");
        }
        if (address.isLinkLocalAddress()) {
            return Optional.of("link-local");
        }
        if (address.isSiteLocalAddress()) {
            return Optional.of("private");
        }
        if (address.isMulticastAddress()) {
            return Optional.of("multicast");
        }
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = bytes[0] & 0xff;
            int second = bytes[1] & 0xff;
            if (first == 0) {
                return Optional.of("unspecified");
            }
            if (first == 100 && second >= 64 && second <= 127) {
                return Optional.of("shared (carrier-grade NAT)");
            }
            if (first == 255 && second == 255) {
                return Optional.of("broadcast");
            }
        } else if ((bytes[0] & 0xfe) == 0xfc) {
            return Optional.of("private (unique local)");
        }
        return Optional.empty();
    }

    private static boolean isIpv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return (bytes[10] & 0xff) == 0xff && (bytes[11] & 0xff) == 0xff;
    }
}
