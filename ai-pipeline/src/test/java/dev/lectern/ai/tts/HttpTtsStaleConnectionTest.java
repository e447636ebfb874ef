package dev.lectern.ai.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Dsl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A provider that closes a connection without answering (as a server does to a keep-alive connection it dropped
 * while the client's pool still held it): the request is sent once more, on a new connection; a second close fails
 * the sentence. A real socket server; the client as the server configures it (no retries of its own).
 */
class HttpTtsStaleConnectionTest {
    private static final byte[] AUDIO = "ID3-audio-bytes".getBytes(StandardCharsets.US_ASCII);

    private ServerSocket server;
    private Thread acceptor;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int closeFirst;
    private AsyncHttpClient http;

    @BeforeEach
    void setUp() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::serve, "stale-tts");
        acceptor.setDaemon(true);
        acceptor.start();
        http = Dsl.asyncHttpClient(Dsl.config().setMaxRequestRetry(0).setIoThreadsCount(1));
    }

    @AfterEach
    void tearDown() throws Exception {
        http.close();
        server.close();
        acceptor.join(TimeUnit.SECONDS.toMillis(5));
    }

    /** Each connection: one request read whole; the first {@code closeFirst} get a close, the rest audio. */
    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                readRequest(s.getInputStream());
                if (requests.incrementAndGet() <= closeFirst) {
                    continue; // closed without a status line
                }
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: " + AUDIO.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(AUDIO);
                out.flush();
            } catch (IOException e) {
                // closed by the test
            }
        }
    }

    private static void readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            String h = head.toString(StandardCharsets.US_ASCII);
            if (h.endsWith("\r\n\r\n")) {
                int at = h.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
                int length = at < 0 ? 0 : Integer.parseInt(h.substring(at + 15, h.indexOf("\r\n", at)).trim());
                in.readNBytes(length);
                return;
            }
        }
    }

    private HttpTts tts() {
        return HttpTts.openAi("http://127.0.0.1:" + server.getLocalPort() + "/v1", "", "", Optional.empty(), http,
                Duration.ofSeconds(10));
    }

    @Test
    void aStreamedSentenceIsSentAgainOnceWhenTheConnectionClosesBeforeAnyAnswer() throws Exception {
        closeFirst = 1;
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        tts().stream("Hello there.", got::writeBytes).get(10, TimeUnit.SECONDS);
        assertThat(got.toByteArray()).isEqualTo(AUDIO);
        assertThat(requests).hasValue(2);
    }

    @Test
    void aWholeClipIsSentAgainOnceWhenTheConnectionClosesBeforeAnyAnswer() throws Exception {
        closeFirst = 1;
        assertThat(tts().synthesize("Hello there.").get(10, TimeUnit.SECONDS)).isEqualTo(AUDIO);
        assertThat(requests).hasValue(2);
    }

    @Test
    void aSecondCloseFailsTheSentenceWithoutAThirdTry() {
        closeFirst = Integer.MAX_VALUE;
        assertThatThrownBy(() -> tts().stream("Hello there.", b -> { }).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TtsException.class);
        assertThatThrownBy(() -> tts().synthesize("Hello there.").get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class);
        assertThat(requests).hasValue(4);
    }
}
