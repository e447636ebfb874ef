package dev.lectern.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.store.StoreUnavailableException;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code sender (Angus Mail) against a tiny SMTP server on a local port: plain delivery, AUTH PLAIN and LOGIN,
 * STARTTLS and implicit TLS with a certificate generated for 127.0.0.1, refusal to send in clear text when STARTTLS is
 * missing, a certificate for another host refused, and server refusals reported as the mail store being down.
 */
class SmtpCodeSenderIntegrationTest {
    @TempDir
    static Path dir;
    private static SSLContext serverTls;
    private static SSLSocketFactory clientTls;

    private ServerSocket listener;

    @BeforeAll
    static void certificate() throws Exception {
        Path store = dir.resolve("smtp.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "smtp", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        clientTls = client.getSocketFactory();
    }

    @AfterEach
    void close() throws IOException {
        if (listener != null) {
            listener.close();
        }
    }

    /** What the fake server saw. */
    record Session(List<String> commands, String data, boolean tls) {}

    /**
     * Serves one SMTP session. {@code extensions} are the EHLO lines; {@code rcptReply} is the answer to RCPT TO.
     */
    private CompletableFuture<Session> serve(List<String> extensions, String rcptReply) throws IOException {
        return serve(extensions, rcptReply, false);
    }

    /** As {@link #serve(List, String)}; with {@code implicitTls} the connection is TLS from its first byte. */
    private CompletableFuture<Session> serve(List<String> extensions, String rcptReply, boolean implicitTls)
            throws IOException {
        listener = implicitTls ? serverTls.getServerSocketFactory().createServerSocket(0) : new ServerSocket(0);
        return CompletableFuture.supplyAsync(() -> {
            List<String> commands = new ArrayList<>();
            StringBuilder data = new StringBuilder();
            boolean tls = implicitTls;
            try (Socket accepted = listener.accept()) {
                accepted.setSoTimeout(10_000);
                Socket s = accepted;
                BufferedReader in = reader(s);
                OutputStream out = s.getOutputStream();
                say(out, "220 test ESMTP");
                String line;
                while ((line = in.readLine()) != null) {
                    commands.add(line);
                    String upper = line.toUpperCase();
                    if (upper.startsWith("EHLO")) {
                        StringBuilder r = new StringBuilder("250-test");
                        for (String e : extensions) {
                            if (!(tls && e.equals("STARTTLS"))) {
                                r.append("\r\n250-").append(e);
                            }
                        }
                        say(out, r.append("\r\n250 SIZE 1000000").toString());
                    } else if (upper.equals("STARTTLS")) {
                        say(out, "220 go ahead");
                        SSLSocket ssl = (SSLSocket) serverTls.getSocketFactory().createSocket(s, null, s.getPort(), true);
                        ssl.setUseClientMode(false);
                        ssl.startHandshake();
                        s = ssl;
                        tls = true;
                        in = reader(s);
                        out = s.getOutputStream();
                    } else if (upper.startsWith("AUTH PLAIN ")) {
                        say(out, "235 ok");
                    } else if (upper.equals("AUTH LOGIN")) {
                        say(out, "334 VXNlcm5hbWU6");
                        commands.add(in.readLine());
                        say(out, "334 UGFzc3dvcmQ6");
                        commands.add(in.readLine());
                        say(out, "235 ok");
                    } else if (upper.startsWith("MAIL FROM")) {
                        say(out, "250 ok");
                    } else if (upper.startsWith("RCPT TO")) {
                        say(out, rcptReply);
                    } else if (upper.equals("DATA")) {
                        say(out, "354 end with .");
                        String d;
                        while (!(d = in.readLine()).equals(".")) {
                            data.append(d).append('\n');
                        }
                        say(out, "250 queued");
                    } else if (upper.equals("QUIT")) {
                        say(out, "221 bye");
                        break;
                    } else {
                        say(out, "502 unknown");
                    }
                }
            } catch (IOException e) {
                commands.add("server error: " + e.getMessage());
            }
            return new Session(commands, data.toString(), tls);
        });
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    }

    private static void say(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private SmtpCodeSender sender(String security, String user, String password) {
        return sender(security, user, password, clientTls);
    }

    private SmtpCodeSender sender(String security, String user, String password, SSLSocketFactory tls) {
        return new SmtpCodeSender(new AccountsConfig.Smtp("127.0.0.1", listener.getLocalPort(), security, user,
                "Lectern <no-reply@example.com>", 5000), password, tls);
    }

    @Test
    void plainDeliveryWithAuthPlain() throws Exception {
        CompletableFuture<Session> server = serve(List.of("AUTH PLAIN LOGIN"), "250 ok");
        sender("none", "mailer", "s3cret").send("ada@example.com", "register", "123456");
        Session s = server.get(10, TimeUnit.SECONDS);
        String plain = Base64.getEncoder().encodeToString("\0mailer\0s3cret".getBytes(StandardCharsets.UTF_8));
        assertThat(s.commands()).containsSubsequence("EHLO lectern", "AUTH PLAIN " + plain,
                "MAIL FROM:<no-reply@example.com>", "RCPT TO:<ada@example.com>", "DATA", "QUIT");
        assertThat(s.data()).contains("Subject: Your Lectern code: 123456\n").contains("To: ada@example.com\n")
                .contains("From: Lectern <no-reply@example.com>\n").contains("Your verification code is 123456.")
                .contains("finish creating your account");
        assertThat(s.tls()).isFalse();
    }

    @Test
    void noAuthenticationWithoutAUser() throws Exception {
        CompletableFuture<Session> server = serve(List.of("AUTH PLAIN LOGIN"), "250 ok");
        sender("none", "", null).send("ada@example.com", "reset", "654321");
        Session s = server.get(10, TimeUnit.SECONDS);
        assertThat(s.commands()).noneMatch(c -> c.startsWith("AUTH"));
        assertThat(s.data()).contains("654321").contains("set a new password");
    }

    @Test
    void authLoginWhenPlainIsNotOffered() throws Exception {
        CompletableFuture<Session> server = serve(List.of("AUTH LOGIN"), "250 ok");
        sender("none", "mailer", "s3cret").send("b@example.com", "register", "1");
        Session s = server.get(10, TimeUnit.SECONDS);
        Base64.Encoder b64 = Base64.getEncoder();
        assertThat(s.commands()).containsSubsequence("AUTH LOGIN",
                b64.encodeToString("mailer".getBytes(StandardCharsets.UTF_8)),
                b64.encodeToString("s3cret".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void startTlsUpgradesBeforeAuthentication() throws Exception {
        CompletableFuture<Session> server = serve(List.of("STARTTLS", "AUTH PLAIN"), "250 ok");
        sender("starttls", "mailer", "s3cret").send("b@example.com", "register", "123456");
        Session s = server.get(10, TimeUnit.SECONDS);
        assertThat(s.tls()).isTrue();
        assertThat(s.commands()).containsSubsequence("EHLO lectern", "STARTTLS", "EHLO lectern");
        assertThat(s.commands().indexOf("STARTTLS"))
                .isLessThan(indexStartingWith(s.commands(), "AUTH PLAIN"));
        assertThat(s.data()).contains("123456");
    }

    @Test
    void implicitTlsFromTheFirstByte() throws Exception {
        CompletableFuture<Session> server = serve(List.of("AUTH PLAIN"), "250 ok", true);
        sender("tls", "mailer", "s3cret").send("b@example.com", "register", "777777");
        Session s = server.get(10, TimeUnit.SECONDS);
        assertThat(s.commands()).contains("EHLO lectern").noneMatch(c -> c.equals("STARTTLS"));
        assertThat(s.data()).contains("777777");
    }

    @Test
    void aCertificateNotIssuedForTheHostIsRefused() throws Exception {
        CompletableFuture<Session> server = serve(List.of("STARTTLS", "AUTH PLAIN"), "250 ok");
        // trusted, but the name the sender connects to (localhost) is not the one in the certificate (127.0.0.1)
        SmtpCodeSender wrongName = new SmtpCodeSender(new AccountsConfig.Smtp("localhost", listener.getLocalPort(),
                "starttls", "mailer", "a@example.com", 5000), "s3cret", clientTls);
        assertThatThrownBy(() -> wrongName.send("b@example.com", "register", "1"))
                .isInstanceOf(StoreUnavailableException.class);
        listener.close();
        Session s = server.get(10, TimeUnit.SECONDS);
        assertThat(s.commands()).noneMatch(c -> c.startsWith("AUTH") || c.startsWith("MAIL"));
    }

    @Test
    void refusesClearTextWhenStartTlsIsMissing() throws Exception {
        CompletableFuture<Session> server = serve(List.of("AUTH PLAIN"), "250 ok");
        assertThatThrownBy(() -> sender("starttls", "mailer", "s3cret").send("b@example.com", "register", "1"))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("STARTTLS");
        listener.close();
        Session s = server.get(10, TimeUnit.SECONDS);
        assertThat(s.commands()).noneMatch(c -> c.startsWith("AUTH") || c.startsWith("MAIL"));
    }

    @Test
    void refusedRecipientIsAnErrorAndTheCodeSenderSaysTheMailStoreIsDown() throws Exception {
        CompletableFuture<Session> server = serve(List.of(), "550 no such user");
        assertThatThrownBy(() -> sender("none", "", null).send("x@example.com", "register", "1"))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("550");
        listener.close();
        server.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aConfiguredServerMailsTheCodeInsteadOfLoggingIt() throws Exception {
        CompletableFuture<Session> smtp = serve(List.of(), "250 ok");
        try (dev.lectern.server.LecternServer server = dev.lectern.server.LecternServer.start(
                dev.lectern.testing.TestConfigs.defaults(java.util.Map.of(
                        "LECTERN_STORAGE__DATA_DIR", dir.resolve("server").toString(),
                        "LECTERN_ACCOUNTS__BCRYPT_COST", "4",
                        "LECTERN_ACCOUNTS__SMTP__HOST", "127.0.0.1",
                        "LECTERN_ACCOUNTS__SMTP__PORT", Integer.toString(listener.getLocalPort()),
                        "LECTERN_ACCOUNTS__SMTP__SECURITY", "none",
                        "LECTERN_ACCOUNTS__SMTP__FROM", "Lectern <codes@example.com>")), java.util.Map.of())) {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                    "http://127.0.0.1:" + server.httpPort() + "/api/send_verification"))
                            .header("Content-Type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                    "{\"email\":\"mail@example.com\",\"purpose\":\"register\"}"))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            Session s = smtp.get(10, TimeUnit.SECONDS);
            String code = server.ephemeralStore().get("code:register:mail@example.com").orElseThrow();
            assertThat(s.commands()).contains("MAIL FROM:<codes@example.com>", "RCPT TO:<mail@example.com>");
            assertThat(s.data()).contains(code);
            assertThat(r.body()).doesNotContain(code);
        }
    }

    private static int indexStartingWith(List<String> list, String prefix) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
