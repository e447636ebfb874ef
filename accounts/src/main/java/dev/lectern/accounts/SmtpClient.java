package dev.lectern.accounts;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A small SMTP submission client (RFC 5321): plain, STARTTLS (refuses to go on in clear text when the server does
 * not offer it) or implicit TLS, with AUTH PLAIN or LOGIN. One message per connection. Blocking, with a socket
 * timeout on every read; the server certificate is checked against the host name.
 */
public final class SmtpClient {
    private final String host;
    private final int port;
    private final String security;
    private final String username;
    private final String password;
    private final int timeoutMillis;
    private final SSLSocketFactory tls;

    public SmtpClient(String host, int port, String security, String username, String password, int timeoutMillis,
                      SSLSocketFactory tls) {
        this.host = host;
        this.port = port;
        this.security = security;
        this.username = username == null ? "" : username;
        this.password = password == null ? "" : password;
        this.timeoutMillis = timeoutMillis;
        this.tls = tls;
    }

    /** A reply: its code and its text lines. */
    record Reply(int code, List<String> lines) {}

    /** Sends one plain-text message; an {@link IOException} says which step failed and what the server answered. */
    public void send(String fromHeader, String to, String subject, String body) throws IOException {
        String from = address(fromHeader);
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            if (security.equals("tls")) {
                socket = upgrade(socket);
            }
            Conversation c = new Conversation(socket);
            c.expect(c.read(), 220, "greeting");
            Reply ehlo = c.command("EHLO lectern", 250, "EHLO");
            if (security.equals("starttls")) {
                if (!offers(ehlo, "STARTTLS")) {
                    throw new IOException("SMTP server does not offer STARTTLS; refusing to send in clear text");
                }
                c.command("STARTTLS", 220, "STARTTLS");
                socket = upgrade(socket);
                c = new Conversation(socket);
                ehlo = c.command("EHLO lectern", 250, "EHLO after STARTTLS");
            }
            if (!username.isEmpty()) {
                authenticate(c, ehlo);
            }
            c.command("MAIL FROM:<" + from + ">", 250, "MAIL FROM");
            Reply rcpt = c.command("RCPT TO:<" + to + ">", -1, "RCPT TO");
            if (rcpt.code() != 250 && rcpt.code() != 251) {
                throw new IOException("RCPT TO refused: " + rcpt.code() + " " + String.join(" ", rcpt.lines()));
            }
            c.command("DATA", 354, "DATA");
            StringBuilder msg = new StringBuilder();
            msg.append("From: ").append(fromHeader).append("\r\n");
            msg.append("To: <").append(to).append(">\r\n");
            msg.append("Subject: ").append(subject).append("\r\n");
            msg.append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
            for (String line : body.split("\r?\n", -1)) {
                msg.append(line.startsWith(".") ? "." : "").append(line).append("\r\n"); // dot-stuffing
            }
            msg.append(".");
            c.command(msg.toString(), 250, "message body");
            c.command("QUIT", 221, "QUIT");
        } finally {
            socket.close();
        }
    }

    private void authenticate(Conversation c, Reply ehlo) throws IOException {
        String mechanisms = ehlo.lines().stream().map(l -> l.toUpperCase(Locale.ROOT))
                .filter(l -> l.startsWith("AUTH ") || l.startsWith("AUTH=")).findFirst().orElse("");
        Base64.Encoder b64 = Base64.getEncoder();
        if (mechanisms.contains("PLAIN")) {
            String token = b64.encodeToString(("\0" + username + "\0" + password).getBytes(StandardCharsets.UTF_8));
            c.command("AUTH PLAIN " + token, 235, "AUTH PLAIN");
        } else if (mechanisms.contains("LOGIN")) {
            c.command("AUTH LOGIN", 334, "AUTH LOGIN");
            c.command(b64.encodeToString(username.getBytes(StandardCharsets.UTF_8)), 334, "AUTH LOGIN user");
            c.command(b64.encodeToString(password.getBytes(StandardCharsets.UTF_8)), 235, "AUTH LOGIN password");
        } else {
            throw new IOException("SMTP server offers neither AUTH PLAIN nor AUTH LOGIN");
        }
    }

    private static boolean offers(Reply ehlo, String extension) {
        return ehlo.lines().stream().anyMatch(l -> l.toUpperCase(Locale.ROOT).startsWith(extension));
    }

    private SSLSocket upgrade(Socket plain) throws IOException {
        SSLSocket s = (SSLSocket) tls.createSocket(plain, host, port, true);
        SSLParameters params = s.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(params);
        s.setSoTimeout(timeoutMillis);
        s.startHandshake();
        return s;
    }

    /** The address inside {@code "Name <addr>"}, or the whole value. */
    static String address(String header) {
        int lt = header.indexOf('<');
        int gt = header.indexOf('>', lt + 1);
        String a = lt >= 0 && gt > lt ? header.substring(lt + 1, gt) : header.trim();
        if (a.isEmpty() || a.contains("\r") || a.contains("\n") || a.contains(" ")) {
            throw new IllegalArgumentException("not a mail address: " + header);
        }
        return a;
    }

    /** One command/reply exchange at a time over a socket. */
    private static final class Conversation {
        private final BufferedReader in;
        private final OutputStream out;

        Conversation(Socket socket) throws IOException {
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            this.out = socket.getOutputStream();
        }

        Reply command(String line, int expected, String step) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            Reply r = read();
            if (expected > 0) {
                expect(r, expected, step);
            }
            return r;
        }

        void expect(Reply r, int expected, String step) throws IOException {
            if (r.code() != expected) {
                throw new IOException("SMTP " + step + " failed: " + r.code() + " " + String.join(" ", r.lines()));
            }
        }

        Reply read() throws IOException {
            List<String> lines = new ArrayList<>();
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new IOException("SMTP server closed the connection");
                }
                if (line.length() < 3 || lines.size() > 100) {
                    throw new IOException("malformed SMTP reply");
                }
                int code;
                try {
                    code = Integer.parseInt(line.substring(0, 3));
                } catch (NumberFormatException e) {
                    throw new IOException("malformed SMTP reply");
                }
                lines.add(line.length() > 4 ? line.substring(4) : "");
                if (line.length() == 3 || line.charAt(3) == ' ') {
                    return new Reply(code, lines);
                }
            }
        }
    }
}
