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
    private volatile boolean poisonReuse;
    private volatile java.util.concurrent.CountDownLatch firstRequests = new java.util.concurrent.CountDownLatch(0);
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

    /**
     * Each connection on a thread of its own, its requests read whole one after the other: the first
     * {@code closeFirst} requests of all get a close; with {@code poisonReuse}, so does any request after the first on
     * its connection (a connection the server dropped while the client's pool kept it); the rest get the audio, kept
     * alive. The first requests wait until {@code firstRequests} of them have arrived (so that the client opens as
     * many connections).
     */
    private void serve() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> connection(s), "stale-tts-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed by the test
            }
        }
    }

    private void connection(Socket s) {
        try (s) {
            for (int onThisConnection = 0; readRequest(s.getInputStream()); onThisConnection++) {
                if (requests.incrementAndGet() <= closeFirst || poisonReuse && onThisConnection > 0) {
                    return; // closed without a status line
                }
                if (onThisConnection == 0) {
                    firstRequests.countDown();
                    firstRequests.await(10, TimeUnit.SECONDS);
                }
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: " + AUDIO.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(AUDIO);
                out.flush();
            }
        } catch (IOException e) {
            // closed by the client or the test
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads one request whole; false at the end of the connection. */
    private static boolean readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            String h = head.toString(StandardCharsets.US_ASCII);
            if (h.endsWith("\r\n\r\n")) {
                int at = h.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
                int length = at < 0 ? 0 : Integer.parseInt(h.substring(at + 15, h.indexOf("\r\n", at)).trim());
                in.readNBytes(length);
                return true;
            }
        }
        return false;
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
    void theSecondTryTakesNoneOfThePooledConnectionsTheProviderHasClosed() throws Exception {
        poisonReuse = true;
        firstRequests = new java.util.concurrent.CountDownLatch(2);
        HttpTts tts = tts();
        // two sentences at once: two connections, both answered and pooled, both dropped by the provider since
        var first = tts.stream("One.", b -> { });
        var second = tts.stream("Two.", b -> { });
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        tts.stream("Three.", got::writeBytes).get(10, TimeUnit.SECONDS);
        assertThat(got.toByteArray()).isEqualTo(AUDIO);
        assertThat(requests).hasValue(4); // two answered, one on a dropped connection, one on a new connection
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
