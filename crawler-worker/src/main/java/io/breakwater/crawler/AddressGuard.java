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

    /**
     * What kind of internal address {@code address} is, if it is one. An IPv6 address that carries an IPv4 address
     * (IPv4-mapped {@code ::ffff:a.b.c.d}, IPv4-compatible {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::a.b.c.d}, 6to4
     * {@code 2002:aabb:ccdd::}, Teredo's client) is judged as that IPv4 address, because that is where a packet to it
     * ends up. The local-use NAT64 prefix {@code 64:ff9b:1::/48} (RFC 8215) is internal as a whole: where the IPv4
     * address sits in it depends on the operator's prefix length.
     */
    static Optional<String> internalKind(InetAddress address) {
        if (address instanceof Inet6Address v6 && !v6.isLoopbackAddress() && !v6.isAnyLocalAddress()) {
            byte[] bytes = v6.getAddress();
            if (startsWith(bytes, LOCAL_NAT64)) {
                return Optional.of("local-use NAT64");
            }
            Optional<Inet4Address> embedded = embeddedIpv4(bytes);
            if (embedded.isPresent()) {
                return internalKind(embedded.get());
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

    /** 64:ff9b:1::/48, local-use NAT64 (RFC 8215). */
    private static final byte[] LOCAL_NAT64 = {0x00, 0x64, (byte) 0xff, (byte) 0x9b, 0x00, 0x01};
    /** 64:ff9b::/96, the well-known NAT64 prefix (RFC 6052): the IPv4 address is the last 32 bits. */
    private static final byte[] NAT64 = {0x00, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    /** ::ffff:0:0/96, IPv4-mapped. */
    private static final byte[] MAPPED = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};
    /** ::/96, IPv4-compatible (deprecated, still routed by some stacks). */
    private static final byte[] COMPATIBLE = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    /** 2002::/16, 6to4: the IPv4 address is bits 16 to 47. */
    private static final byte[] SIX_TO_FOUR = {0x20, 0x02};
    /** 2001::/32, Teredo: the client's IPv4 address is the last 32 bits, inverted. */
    private static final byte[] TEREDO = {0x20, 0x01, 0, 0};

    private static Optional<Inet4Address> embeddedIpv4(byte[] bytes) {
        if (startsWith(bytes, NAT64) || startsWith(bytes, MAPPED) || startsWith(bytes, COMPATIBLE)) {
            return Optional.of(ipv4(bytes[12], bytes[13], bytes[14], bytes[15]));
        }
        if (startsWith(bytes, SIX_TO_FOUR)) {
            return Optional.of(ipv4(bytes[2], bytes[3], bytes[4], bytes[5]));
        }
        if (startsWith(bytes, TEREDO)) {
            return Optional.of(ipv4((byte) ~bytes[12], (byte) ~bytes[13], (byte) ~bytes[14], (byte) ~bytes[15]));
        }
        return Optional.empty();
    }

    private static Inet4Address ipv4(byte a, byte b, byte c, byte d) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {a, b, c, d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
