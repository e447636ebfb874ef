package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol (v1 and v2) from a trusted proxy names the client that limits count, and Engine.IO handshakes
 * count against the same per-address limit as REST requests (issue #19 items 7 and 8), over raw sockets.
 */
class ProxyProtocolIntegrationTest {
    private static final String COMPANIONS = "GET /api/companions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    private static final String HANDSHAKE = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"
            + "Connection: close\r\n\r\n";
    private LecternServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(Map<String, String> overrides) {
        Map<String, String> o = new HashMap<>(overrides);
        o.put("LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "3");
        server = LecternServer.start(TestConfigs.defaults(o), Map.of());
    }

    private static byte[] v1(String client) {
        return ("PROXY TCP4 " + client + " 127.0.0.1 40000 80\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] v2(String client) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.write(0x21); // version 2, PROXY
        b.write(0x11); // TCP over IPv4
        b.write(new byte[] {0x00, 0x0C});
        b.write(InetAddress.getByName(client).getAddress());
        b.write(new byte[] {127, 0, 0, 1});
        b.write(new byte[] {(byte) 0x9C, 0x40, 0x00, 0x50});
        return b.toByteArray();
    }

    /** Sends the bytes on a fresh connection and returns the response's status code. */
    private int status(int port, byte[] header, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            if (header != null) {
                out.write(header);
            }
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                line.append((char) c);
            }
            String[] parts = line.toString().split(" ");
            return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        }
    }

    @Test
    void aTrustedProxysHeaderNamesTheClientThatLimitsCount() throws Exception {
        start(Map.of("LECTERN_HTTP__TRUSTED_PROXIES", "127.0.0.0/8"));
        int port = server.httpPort();
        for (int i = 0; i < 3; i++) {
            assertThat(status(port, i % 2 == 0 ? v1("203.0.113.7") : v2("203.0.113.7"), COMPANIONS)).isEqualTo(401);
        }
        assertThat(status(port, v2("203.0.113.7"), COMPANIONS)).isEqualTo(429);
        assertThat(status(port, v1("203.0.113.7"), COMPANIONS)).isEqualTo(429);
        // other clients behind the same proxy keep their own budget
        assertThat(status(port, v1("198.51.100.9"), COMPANIONS)).isEqualTo(401);
        assertThat(status(port, v2("192.0.2.44"), COMPANIONS)).isEqualTo(401);
        // the proxy's own plain requests are its own
        assertThat(status(port, null, COMPANIONS)).isEqualTo(401);
    }

    @Test
    void engineIoHandshakesCountAgainstThePerAddressLimit() throws Exception {
        start(Map.of("LECTERN_HTTP__TRUSTED_PROXIES", "127.0.0.0/8"));
        int port = server.signalingPort();
        for (int i = 0; i < 3; i++) {
            assertThat(status(port, v1("203.0.113.50"), HANDSHAKE)).isEqualTo(200);
        }
        assertThat(status(port, v1("203.0.113.50"), HANDSHAKE)).isEqualTo(429);
        // one budget with REST
        assertThat(status(server.httpPort(), v1("203.0.113.50"), COMPANIONS)).isEqualTo(429);
        assertThat(status(port, v2("203.0.113.51"), HANDSHAKE)).isEqualTo(200);
    }

    @Test
    void behindAProxyThatSendsXForwardedForEachClientsHandshakesCountUnderItsOwnAddress() throws Exception {
        start(Map.of("LECTERN_HTTP__TRUSTED_PROXIES", "127.0.0.0/8"));
        int port = server.signalingPort();
        for (int i = 0; i < 3; i++) {
            assertThat(status(port, null, forwarded(HANDSHAKE, "203.0.113.60"))).isEqualTo(200);
        }
        assertThat(status(port, null, forwarded(HANDSHAKE, "203.0.113.60"))).isEqualTo(429);
        // the same budget as that client's REST requests, and the next client behind the proxy has its own
        assertThat(status(server.httpPort(), null, forwarded(COMPANIONS, "203.0.113.60"))).isEqualTo(429);
        assertThat(status(port, null, forwarded(HANDSHAKE, "203.0.113.61"))).isEqualTo(200);
        assertThat(status(port, null, HANDSHAKE)).isEqualTo(200); // the proxy's own
    }

    @Test
    void anUntrustedPeersXForwardedForDoesNotEscapeItsHandshakeBudget() throws Exception {
        start(Map.of());
        int port = server.signalingPort();
        for (int i = 0; i < 3; i++) {
            assertThat(status(port, null, forwarded(HANDSHAKE, "203.0.113." + (70 + i)))).isEqualTo(200);
        }
        assertThat(status(port, null, forwarded(HANDSHAKE, "203.0.113.80"))).isEqualTo(429);
    }

    /** {@code request} with an {@code X-Forwarded-For} naming {@code client} after its request line. */
    private static String forwarded(String request, String client) {
        int eol = request.indexOf("\r\n");
        return request.substring(0, eol + 2) + "X-Forwarded-For: " + client + "\r\n" + request.substring(eol + 2);
    }

    @Test
    void fromAnyOtherPeerAProxyHeaderIsNotBelieved() throws Exception {
        start(Map.of());
        int port = server.httpPort();
        assertThat(status(port, v1("203.0.113.7"), COMPANIONS)).isNotEqualTo(401).isBetween(400, 599);
        for (int i = 0; i < 3; i++) {
            assertThat(status(server.signalingPort(), null, HANDSHAKE)).isEqualTo(200);
        }
        // handshakes from 127.0.0.1 used its budget: its next REST request is over
        assertThat(status(port, null, COMPANIONS)).isEqualTo(429);
    }
}
