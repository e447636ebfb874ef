package dev.lectern.media;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An avatar that writes its HTTP answers byte by byte, for what a real avatar server may send but the JDK's server
 * never does: a body that ends when the connection closes, a head split over many writes, a 1xx before the answer,
 * chunk extensions and trailers, hop-by-hop and cookie headers, and things that are not HTTP at all. Run by
 * {@link FakeLiveTalking} for an avatar id containing {@code raw}. Keep-alive, one request at a time per connection.
 *
 * <ul>
 *   <li>{@code GET /} — 200 {@code ok} (the readiness probe)</li>
 *   <li>{@code GET /until_close?n=} — n bytes of a pattern, no length: the body ends with the connection</li>
 *   <li>{@code GET /split} — a head written a byte at a time, then a 2-byte body</li>
 *   <li>{@code GET /continue} — a 100 Continue, then the answer</li>
 *   <li>{@code GET /chunked} — a chunked body with an extension and a trailer</li>
 *   <li>{@code GET|HEAD /hop} — hop-by-hop, cookie, CORS and request-id headers beside one of its own</li>
 *   <li>{@code GET /garbage} — not HTTP; {@code /bad_header} — a control character in a header value;
 *       {@code /cut} — a body shorter than its length, then a close</li>
 * </ul>
 */
final class RawHttpAvatar {
    private RawHttpAvatar() {}

    static void serve(int port) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("0.0.0.0", port), 64);
            while (true) {
                Socket s = server.accept();
                Thread t = new Thread(() -> connection(s), "raw-avatar");
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void connection(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String head;
            while ((head = readHead(in)) != null) {
                String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
                skipBody(in, head);
                if (!answer(requestLine[0], requestLine[1], out)) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the proxy went away
        }
    }

    /** Answers one request; false when the connection is to close. */
    private static boolean answer(String method, String uri, OutputStream out) throws IOException,
            InterruptedException {
        String path = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
        switch (path) {
            case "/" -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            case "/until_close" -> {
                int n = Integer.parseInt(uri.substring(uri.indexOf("n=") + 2));
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
                byte[] body = new byte[n];
                for (int i = 0; i < n; i++) {
                    body[i] = (byte) ('a' + i % 26);
                }
                for (int at = 0; at < n; at += 7000) { // several writes: several chunks for the browser
                    out.write(body, at, Math.min(7000, n - at));
                    out.flush();
                }
                return false;
            }
            case "/split" -> {
                for (byte b : "HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nX-Split: yes\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII)) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(1);
                }
                write(out, "ok");
            }
            case "/continue" -> write(out, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
            case "/chunked" -> write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n"
                    + "Trailer: X-Sum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n");
            case "/hop" -> write(out, "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Gone\r\nX-Gone: 1\r\nKeep-Alive: timeout=5\r\n"
                    + "Set-Cookie: avatar=1\r\nAccess-Control-Allow-Origin: *\r\nX-Request-Id: from-avatar\r\n"
                    + "X-Avatar: yes\r\nContent-Length: 2\r\n\r\n" + (method.equals("HEAD") ? "" : "ok"));
            case "/garbage" -> {
                write(out, "SPEAKING NONSENSE\r\n\r\n");
                return false;
            }
            case "/bad_header" -> write(out, "HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 0\r\n\r\n");
            case "/cut" -> {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
                return false;
            }
            default -> write(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
        return true;
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static void skipBody(InputStream in, String head) throws IOException {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                in.skipNBytes(Long.parseLong(line.substring(15).trim()));
            }
        }
    }
}
