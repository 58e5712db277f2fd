package io.breakwater.ingest;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import io.breakwater.core.config.Settings;

/**
 * Which address a request comes from. The direct peer, unless it is one of the trusted proxies
 * ({@code api.trusted.proxies}, {@code BW_API_TRUSTED_PROXIES}: addresses and CIDR blocks, comma-separated; none by
 * default): then the right-most address in {@code X-Forwarded-For} that is not a trusted proxy, since everything left
 * of it was written by the client and may be forged. From anyone else the header is ignored. A header the trusted
 * proxy passes on that is over {@value #MAX_HEADER_CHARS} characters or {@value #MAX_HOPS} addresses, or whose
 * addresses right of the client's are not IP literals, gets a 400. Never looks a name up. Immutable, thread-safe.
 */
final class ClientAddress {

    static final String FORWARDED_FOR = "X-Forwarded-For";
    static final String SETTING = "api.trusted.proxies";
    static final int MAX_HEADER_CHARS = 1_024;
    static final int MAX_HOPS = 20;

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

    /** An address block: {@code bits} leading bits of {@code address}. */
    private record Block(byte[] address, int bits) {

        boolean contains(byte[] other) {
            if (other.length != address.length) {
                return false;
            }
            int whole = bits / 8;
            for (int i = 0; i < whole; i++) {
                if (other[i] != address[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (other[whole] & mask) == (address[whole] & mask);
        }
    }

    private final List<Block> trusted;

    private ClientAddress(List<Block> trusted) {
        this.trusted = List.copyOf(trusted);
    }

    static ClientAddress from(Settings settings) {
        return parse(settings.string(SETTING, ""));
    }

    /** @throws io.breakwater.core.config.ConfigException if an entry is not an IP address or CIDR block */
    static ClientAddress parse(String setting) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : Arrays.stream(setting.split(",")).map(String::strip).filter(e -> !e.isEmpty()).toList()) {
            int slash = entry.indexOf('/');
            byte[] address = literal(slash < 0 ? entry : entry.substring(0, slash));
            int bits;
            try {
                bits = slash < 0 ? address == null ? -1 : address.length * 8 : Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                bits = -1;
            }
            if (address == null || bits < 0 || bits > address.length * 8) {
                throw Settings.invalid(SETTING, entry, "IP addresses or CIDR blocks such as 10.0.0.0/8 or fd00::/8,"
                        + " comma-separated");
            }
            blocks.add(new Block(address, bits));
        }
        return new ClientAddress(blocks);
    }

    boolean trustsAny() {
        return !trusted.isEmpty();
    }

    /**
     * @param peer the direct peer's address, as an IP literal
     * @param forwardedFor the {@code X-Forwarded-For} header, or null
     * @throws ApiException 400 if a trusted proxy passed on a header that is too long or not addresses
     */
    String resolve(String peer, String forwardedFor) {
        if (forwardedFor == null || forwardedFor.isBlank() || !isTrusted(literal(peer))) {
            return peer;
        }
        if (forwardedFor.length() > MAX_HEADER_CHARS) {
            throw ApiException.badRequest("Header '" + FORWARDED_FOR + "' may be at most " + MAX_HEADER_CHARS
                    + " characters, but was " + forwardedFor.length() + ".");
        }
        String[] hops = forwardedFor.split(",", -1);
        if (hops.length > MAX_HOPS) {
            throw ApiException.badRequest("Header '" + FORWARDED_FOR + "' may list at most " + MAX_HOPS
                    + " addresses, but listed " + hops.length + ".");
        }
        String client = peer;
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].strip();
            if (hop.startsWith("[") && hop.endsWith("]")) {
                hop = hop.substring(1, hop.length() - 1);
            }
            byte[] address = literal(hop);
            if (address == null) {
                throw ApiException.badRequest("Header '" + FORWARDED_FOR + "' must list IP addresses; entry "
                        + (i + 1) + " is not one.");
            }
            client = hop;
            if (!isTrusted(address)) {
                return hop;
            }
        }
        return client; // every hop is a trusted proxy: the left-most is the closest to a client
    }

    private boolean isTrusted(byte[] address) {
        return address != null && trusted.stream().anyMatch(block -> block.contains(address));
    }

    /** The bytes of an IP literal, or null if {@code text} is not one (never a DNS look-up). */
    static byte[] literal(String text) {
        if (text == null) {
            return null;
        }
        boolean v4 = IPV4.matcher(text).matches();
        if (!v4 && !(text.indexOf(':') >= 0 && IPV6.matcher(text).matches())) {
            return null;
        }
        if (v4 && Arrays.stream(text.split("\\.")).anyMatch(part -> Integer.parseInt(part) > 255)) {
            return null;
        }
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
