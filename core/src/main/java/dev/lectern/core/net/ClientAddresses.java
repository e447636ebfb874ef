package dev.lectern.core.net;

import dev.lectern.core.config.ConfigException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who a request comes from. The peer's address, unless the peer is one of the configured trusted proxies: then the
 * right-most {@code X-Forwarded-For} entry that is not itself a trusted proxy (entries further left are written by
 * the client and believed by nobody). Limits key IPv6 clients by their /64, which one subscriber usually holds whole.
 */
public final class ClientAddresses {
    /** An address block: {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one address. */
    public record Cidr(byte[] network, int prefix) {
        public static Cidr parse(String text) {
            String t = text.strip();
            int slash = t.indexOf('/');
            String host = slash < 0 ? t : t.substring(0, slash);
            InetAddress a = literal(host);
            if (a == null) {
                throw new ConfigException("http.trustedProxies: '" + text + "' is not an address or CIDR block");
            }
            int bits = a.getAddress().length * 8;
            int prefix;
            try {
                prefix = slash < 0 ? bits : Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException("http.trustedProxies: '" + text + "' has no valid prefix length");
            }
            if (prefix < 0 || prefix > bits) {
                throw new ConfigException("http.trustedProxies: '" + text + "' prefix out of range (0-" + bits + ")");
            }
            return new Cidr(a.getAddress(), prefix);
        }

        public boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (b[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (b[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Cidr> trusted;

    public ClientAddresses(List<String> trustedProxies) {
        List<Cidr> list = new ArrayList<>();
        for (String s : trustedProxies) {
            list.add(Cidr.parse(s));
        }
        this.trusted = List.copyOf(list);
    }

    /** True when there are trusted proxies and {@code a} is one of them. */
    public boolean isTrusted(InetAddress a) {
        return !trusted.isEmpty() && trusted(a);
    }

    /** True when {@code s} is an IPv4 or IPv6 literal. */
    public static boolean isLiteral(String s) {
        return literal(s) != null;
    }

    /** The address of an IP literal (no name look-up); throws when {@code s} is not one. */
    public static InetAddress parseLiteral(String s) {
        InetAddress a = literal(s);
        if (a == null) {
            throw new IllegalArgumentException("not an IP literal");
        }
        return a;
    }

    private boolean trusted(InetAddress a) {
        for (Cidr c : trusted) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** The client's address, from the peer and (only when the peer is a trusted proxy) {@code X-Forwarded-For}. */
    public String resolve(SocketAddress peer, String forwardedFor) {
        if (!(peer instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return String.valueOf(peer);
        }
        InetAddress client = inet.getAddress();
        if (forwardedFor != null && !trusted.isEmpty() && trusted(client)) {
            String[] hops = forwardedFor.split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                InetAddress hop = literal(hops[i].strip());
                if (hop == null) {
                    break; // garbage: believe what we have so far
                }
                client = hop;
                if (!trusted(hop)) {
                    break;
                }
            }
        }
        return client.getHostAddress();
    }

    /** What limits count an address under: itself for IPv4, its /64 for IPv6. */
    public static String limitKey(String address) {
        if (address == null || address.indexOf(':') < 0) {
            return address;
        }
        InetAddress a = literal(address);
        if (a == null || a.getAddress().length != 16) {
            return address;
        }
        byte[] b = a.getAddress();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            s.append(Integer.toHexString(((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF))).append(':');
        }
        return s.append(":/64").toString();
    }

    /** An IP literal (never a name look-up), or null. */
    private static InetAddress literal(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return null;
        }
        String h = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        boolean v6 = h.indexOf(':') >= 0;
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            boolean ok = Character.digit(c, 16) >= 0 || c == '.' || (v6 && c == ':');
            if (!ok) {
                return null;
            }
        }
        if (!v6 && !h.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return null;
        }
        try {
            return InetAddress.getByName(h); // a literal: no DNS query
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
