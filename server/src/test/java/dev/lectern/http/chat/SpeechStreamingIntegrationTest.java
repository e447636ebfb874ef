package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTtsServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.ai.tts.EspeakTts;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.http.AuthDecorator;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sentence's audio reaches the client while it is synthesised: the {@code audio} event comes with the engine's
 * first bytes and its URL answers chunked while the engine is provably still running (a real espeak-ng held open by a
 * gate the test controls; a fake streaming TTS that holds after its first piece). Then the complete clip is stored
 * and served with Content-Length and Range, audio events keep sentence order, and a reader that stops reading holds
 * no more than a piece in the server's memory.
 */
class SpeechStreamingIntegrationTest {
    private static final String TOKEN = "student-token";
    private static final String ANSWER = "The derivative measures how fast a quantity changes. It is a rate of change."
            + " Slopes of tangent lines show it.";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private FakeModelServer model;
    private LecternServer server;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        model = new FakeModelServer();
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        model.close();
    }

    private void start(AiConfig.Tts tts) {
        AiConfig ai = TestAi.withTts(TestAi.config(model.baseUrl()), tts);
        ServerConfig d = TestConfigs.defaults(Map.of());
        server = LecternServer.start(d.withAi(ai), Map.of("FAKE_API_KEY", "sk-test"),
                AuthDecorator.fixed(TOKEN, new Principal("u1", Role.STUDENT, "t1")));
    }

    @Test
    void espeakAudioIsServedChunkedWhileTheEngineStillRunsThenStoredWhole() throws Exception {
        assumeTrue(EspeakTts.available("espeak-ng") || "true".equals(System.getenv("CI")),
                "espeak-ng is not installed");
        // the real espeak-ng, whose process cannot end before the test opens the gate: its audio is all written to
        // the pipe, then the process waits
        Path gate = dir.resolve("gate");
        Path started = dir.resolve("started");
        Path script = dir.resolve("espeak-gated");
        Files.writeString(script, "#!/bin/sh\n"
                + "[ \"$1\" = --version ] && exec espeak-ng --version\n"
                + "[ \"$1\" = --voices ] && exec espeak-ng --voices\n"
                + "touch '" + started + "'\n"
                + "espeak-ng \"$@\" || exit $?\n"
                + "while [ ! -e '" + gate + "' ]; do sleep 0.02; done\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        start(new AiConfig.Tts("espeak", "", "", "", "", 60_000, 1000, script.toString(), true, 8L << 20));
        model.enqueue(FakeModelServer.answer(ANSWER.split("(?<= )")));

        try (SseReader sse = SseReader.open(client, server.httpPort(), TOKEN, "Explain derivatives")) {
            List<JsonNode> audio = sse.untilComplete().stream()
                    .filter(e -> e.get("status").asText().equals("audio")).toList();
            // in sentence order, every sentence announced although no engine has finished
            assertThat(audio).extracting(e -> e.get("index").asInt()).containsExactly(0, 1, 2);
            assertThat(Files.exists(started)).isTrue();
            assertThat(Files.exists(gate)).isFalse();
            // each event carries the clip's first bytes: the browser can play them before it fetches the URL
            for (JsonNode a : audio) {
                assertThat(a.get("audio_type").asText()).isEqualTo("audio/wav");
                byte[] start = Base64.getDecoder().decode(a.get("audio_data").asText());
                assertThat(new String(start, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
            }

            String url = audio.get(0).get("audio_url").asText();
            try (RawGet live = RawGet.open(server.httpPort(), url)) {
                assertThat(live.status).isEqualTo(200);
                assertThat(live.header("transfer-encoding")).isEqualTo("chunked");
                assertThat(live.header("content-length")).isNull();
                byte[] first = live.nextChunk();
                assertThat(new String(first, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
                // the engine cannot have finished: it is waiting at the gate, and the response has not ended
                assertThat(Files.exists(gate)).isFalse();

                Files.createFile(gate);
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                all.writeBytes(first);
                byte[] chunk;
                while ((chunk = live.nextChunk()).length > 0) {
                    all.writeBytes(chunk);
                }
                byte[] streamed = all.toByteArray();
                assertThat(streamed.length).isGreaterThan(1000);

                // stored complete: the same URL now names a plain object with a length and ranges
                byte[] stored = awaitStored(url, streamed.length);
                assertThat(stored).isEqualTo(streamed);
                HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(uri(url)).header("Range", "bytes=0-3")
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(range.statusCode()).isEqualTo(206);
                assertThat(range.headers().firstValue("content-range")).hasValue("bytes 0-3/" + streamed.length);
                assertThat(new String(range.body(), StandardCharsets.US_ASCII)).isEqualTo("RIFF");
            }
        }
    }

    @Test
    void httpTtsAudioEventComesWithTheFirstStreamedBytesAndInSentenceOrder() throws Exception {
        try (FakeTtsServer tts = new FakeTtsServer()) {
            byte[] head = "ID3-first-piece".getBytes(StandardCharsets.US_ASCII);
            byte[] tail = "-and-the-rest-of-the-clip".getBytes(StandardCharsets.US_ASCII);
            tts.stream(List.of(head, tail), true);
            start(new AiConfig.Tts("openai", tts.baseUrl() + "/v1", "", "tts-1", "alloy", 60_000, 1000));
            model.enqueue(FakeModelServer.answer(ANSWER.split("(?<= )")));

            try (SseReader sse = SseReader.open(client, server.httpPort(), TOKEN, "Explain derivatives")) {
                List<JsonNode> events = sse.untilComplete();
                List<JsonNode> audio = events.stream().filter(e -> e.get("status").asText().equals("audio")).toList();
                assertThat(audio).extracting(e -> e.get("index").asInt()).containsExactly(0, 1, 2);
                // every TTS answer is still held after its first piece
                assertThat(tts.finished.get()).isZero();
                assertThat(tts.calls).hasSize(3);
                // that piece is in the event: playable without a round trip to the URL
                for (JsonNode a : audio) {
                    assertThat(a.get("audio_type").asText()).isEqualTo("audio/mpeg");
                    assertThat(Base64.getDecoder().decode(a.get("audio_data").asText())).isEqualTo(head);
                }

                String url = audio.get(1).get("audio_url").asText();
                try (RawGet live = RawGet.open(server.httpPort(), url)) {
                    assertThat(live.status).isEqualTo(200);
                    assertThat(live.header("transfer-encoding")).isEqualTo("chunked");
                    assertThat(live.header("content-type")).isEqualTo("audio/mpeg");
                    assertThat(live.nextChunk()).isEqualTo(head);
                    assertThat(tts.finished.get()).isZero();

                    tts.release();
                    ByteArrayOutputStream rest = new ByteArrayOutputStream();
                    byte[] chunk;
                    while ((chunk = live.nextChunk()).length > 0) {
                        rest.writeBytes(chunk);
                    }
                    assertThat(rest.toByteArray()).isEqualTo(tail);
                }
                for (JsonNode a : audio) {
                    assertThat(awaitStored(a.get("audio_url").asText(), tts.streamedAudio().length))
                            .isEqualTo(tts.streamedAudio());
                }
            }
        }
    }

    @Test
    void aReaderThatStopsReadingHoldsOnlyAPieceWhileTheWholeClipIsStored() throws Exception {
        try (FakeTtsServer tts = new FakeTtsServer()) {
            List<byte[]> parts = new ArrayList<>();
            for (int i = 0; i < 256; i++) { // 16 MiB: far more than the socket buffers between server and reader
                byte[] part = new byte[64 * 1024];
                Arrays.fill(part, (byte) i);
                parts.add(part);
            }
            tts.stream(parts, true);
            start(new AiConfig.Tts("openai", tts.baseUrl() + "/v1", "", "tts-1", "alloy", 60_000, 1000,
                    "espeak-ng", true, 32L << 20));
            model.enqueue(FakeModelServer.answer("One long sentence to speak."));

            String url;
            try (SseReader sse = SseReader.open(client, server.httpPort(), TOKEN, "Talk")) {
                url = sse.untilComplete().stream().filter(e -> e.get("status").asText().equals("audio"))
                        .findFirst().orElseThrow().get("audio_url").asText();
            }
            try (Socket s = new Socket()) {
                s.setReceiveBufferSize(16 * 1024);
                s.connect(new InetSocketAddress("127.0.0.1", server.httpPort()));
                s.setSoTimeout(30_000);
                s.getOutputStream().write(("GET " + url + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                byte[] begin = in.readNBytes(2048); // the head and the start of the first piece; then it stops
                assertThat(new String(begin, StandardCharsets.US_ASCII)).contains("transfer-encoding: chunked");

                tts.release(); // the engine sends the remaining 16 MiB while the reader does not read
                byte[] whole = tts.streamedAudio();
                assertThat(awaitStored(url, whole.length)).isEqualTo(whole);
                // the clip is stored complete, yet the stalled reader holds at most one piece in the server's heap
                assertThat(bufferedGauge()).isBetween(0L, 64L * 1024);

                // once it reads again, it gets every byte, in order
                ChunkedBody body = new ChunkedBody(new java.io.SequenceInputStream(
                        new java.io.ByteArrayInputStream(begin), in));
                body.skipHead();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] chunk;
                while ((chunk = body.nextChunk()).length > 0) {
                    got.writeBytes(chunk);
                }
                assertThat(got.toByteArray()).isEqualTo(whole);
            }
        }
    }

    /** The gauge of bytes that readers of live objects hold, from the Prometheus scrape. */
    private long bufferedGauge() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        for (String line : r.body().split("\n")) {
            if (line.startsWith("lectern_tts_stream_buffered_bytes ")) {
                return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).strip());
            }
        }
        throw new AssertionError("no lectern_tts_stream_buffered_bytes in /metrics");
    }

    /** Polls the URL until it names a stored object (Content-Length, not chunked) and returns its bytes. */
    private byte[] awaitStored(String url, int length) {
        byte[][] out = new byte[1][];
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri(url)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValueAsLong("content-length")).hasValue(length);
            assertThat(r.headers().firstValue("accept-ranges")).hasValue("bytes");
            out[0] = r.body();
        });
        return out[0];
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }

    /** A chat stream read event by event. */
    static final class SseReader implements AutoCloseable {
        private final BufferedReader in;

        private SseReader(InputStream in) {
            this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        }

        static SseReader open(HttpClient client, int port, String token, String message) throws Exception {
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/chat/stream"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("message", message)))).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            return new SseReader(r.body());
        }

        /** The next event's data, or null at the end. */
        JsonNode next() throws IOException {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    return Json.MAPPER.readTree(line.substring(6));
                }
            }
            return null;
        }

        /** Every event up to and including the terminal one, which must be {@code complete}. */
        List<JsonNode> untilComplete() throws IOException {
            List<JsonNode> all = new ArrayList<>();
            JsonNode e;
            while ((e = next()) != null) {
                all.add(e);
                String status = e.get("status").asText();
                if (status.equals("complete") || status.equals("error") || status.equals("interrupted")) {
                    break;
                }
            }
            assertThat(all).isNotEmpty();
            assertThat(all.get(all.size() - 1).get("status").asText()).isEqualTo("complete");
            return all;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** An HTTP/1.1 response body read chunk by chunk, as the server framed it. */
    static class ChunkedBody {
        final InputStream in;
        int status;
        final Map<String, String> headers = new LinkedHashMap<>();

        ChunkedBody(InputStream in) {
            this.in = in;
        }

        void skipHead() throws IOException {
            String statusLine = line();
            status = Integer.parseInt(statusLine.split(" ")[1]);
            String h;
            while (!(h = line()).isEmpty()) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
            }
        }

        String header(String name) {
            return headers.get(name);
        }

        /** The next chunk's payload; empty at the last chunk. */
        byte[] nextChunk() throws IOException {
            String size = line();
            int n = Integer.parseInt(size.split(";")[0].strip(), 16);
            byte[] data = in.readNBytes(n);
            assertThat(data).hasSize(n);
            line(); // CRLF after the payload (or after the trailers of the last chunk)
            return data;
        }

        private String line() throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            if (c == -1 && b.length() == 0) {
                throw new IOException("connection closed");
            }
            return b.toString();
        }
    }

    /** A GET over a raw socket, its head parsed: the chunked framing stays visible. */
    static final class RawGet extends ChunkedBody implements AutoCloseable {
        private final Socket socket;

        private RawGet(Socket socket) throws IOException {
            super(new java.io.BufferedInputStream(socket.getInputStream()));
            this.socket = socket;
        }

        static RawGet open(int port, String path) throws IOException {
            Socket s = new Socket("127.0.0.1", port);
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            RawGet g = new RawGet(s);
            g.skipHead();
            return g;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
