package dev.lectern.http.multipart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.json.Json;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Headers;
import dev.lectern.http.KeepAliveHandler;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The multipart handler on an EmbeddedChannel: parts spooled to disk in small chunks, limits, and cleanup. */
class MultipartUploadHandlerTest {
    @TempDir
    Path spool;

    private final AtomicReference<String> seen = new AtomicReference<>();

    private EmbeddedChannel channel(long maxFileBytes, MultipartReceiver receiver) {
        ApiRequest req = new ApiRequest("POST", "/upload", Map.of(), Map.of(), Headers.EMPTY, null, "127.0.0.1",
                "req-1", null);
        return new EmbeddedChannel(new KeepAliveHandler(() -> false), new MultipartUploadHandler(req,
                MultipartLimits.oneFile(maxFileBytes, 8, spool), Runnable::run, receiver));
    }

    private static HttpRequest request(String contentType) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        return r;
    }

    private static byte[] body(String fileContent) {
        return ("--BB\r\nContent-Disposition: form-data; name=\"session_id\"\r\n\r\n12\r\n"
                + "--BB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../notes.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n" + fileContent + "\r\n--BB--\r\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes the body in chunks of {@code size} bytes, running the event loop's tasks in between, until the handler
     * closes the channel (an EmbeddedChannel cannot half-close, so an early refusal closes it at once).
     */
    private static void send(EmbeddedChannel ch, byte[] body, int size) {
        for (int i = 0; i < body.length && ch.isOpen(); i += size) {
            int n = Math.min(size, body.length - i);
            ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(body, i, n)));
            ch.runPendingTasks();
        }
        if (ch.isOpen()) {
            ch.writeInbound(new DefaultLastHttpContent());
            ch.runPendingTasks();
        }
    }

    private static FullHttpResponse response(EmbeddedChannel ch) {
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(FullHttpResponse.class);
        return (FullHttpResponse) out;
    }

    private List<Path> spooled() throws Exception {
        try (Stream<Path> s = Files.list(spool)) {
            return s.toList();
        }
    }

    @Test
    void aFormArrivesInSmallChunksAndItsFileIsOnDiskUntilTheAnswer() throws Exception {
        String content = "line of notes\n".repeat(2000);
        EmbeddedChannel ch = channel(1_000_000, (r, form) -> {
            MultipartForm.FilePart f = form.files("file").get(0);
            try {
                seen.set(form.field("session_id").orElse("") + "|" + f.filename() + "|" + Files.readString(f.file()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(f.file().getParent()).isEqualTo(spool);
            return CompletableFuture.completedFuture(ApiResponse.json(201, Map.of("ok", true)));
        });
        ch.writeInbound(request("multipart/form-data; boundary=BB"));
        send(ch, body(content), 100);
        FullHttpResponse r = response(ch);
        assertThat(r.status().code()).isEqualTo(201);
        r.release();
        assertThat(seen.get()).isEqualTo("12|../notes.txt|" + content);
        assertThat(spooled()).as("spooled file deleted after the answer").isEmpty();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aFileOverTheLimitIs413AndNothingStaysOnDisk() throws Exception {
        EmbeddedChannel ch = channel(1000, (r, form) -> {
            throw new AssertionError("must not be called");
        });
        ch.writeInbound(request("multipart/form-data; boundary=BB"));
        send(ch, body("x".repeat(5000)), 512);
        FullHttpResponse r = response(ch);
        assertThat(r.status().code()).isEqualTo(413);
        assertThat(Json.MAPPER.readTree(r.content().toString(StandardCharsets.UTF_8)).get("error").asText())
                .isEqualTo("payload_too_large");
        r.release();
        ch.runPendingTasks();
        assertThat(spooled()).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void notMultipartOrWithoutBoundaryOrMalformedAreRefused() throws Exception {
        for (String[] c : new String[][] {{"application/json", "415"}, {"multipart/form-data", "400"}}) {
            EmbeddedChannel ch = channel(1000, (r, form) -> CompletableFuture.completedFuture(ApiResponse.noContent()));
            ch.writeInbound(request(c[0]));
            send(ch, "{}".getBytes(StandardCharsets.UTF_8), 100);
            FullHttpResponse r = response(ch);
            assertThat(r.status().code()).as(c[0]).isEqualTo(Integer.parseInt(c[1]));
            r.release();
            ch.finishAndReleaseAll();
        }
        EmbeddedChannel ch = channel(1000, (r, form) -> CompletableFuture.completedFuture(ApiResponse.noContent()));
        ch.writeInbound(request("multipart/form-data; boundary=BB"));
        send(ch, "--BB\r\nContent-Disposition: garbage\r\n\r\nxx\r\n--BB--\r\n".getBytes(StandardCharsets.UTF_8), 7);
        FullHttpResponse r = response(ch);
        assertThat(r.status().code()).isEqualTo(400);
        r.release();
        ch.runPendingTasks();
        assertThat(spooled()).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void aHugeTextFieldIsRefusedRatherThanReadIntoMemory() throws Exception {
        EmbeddedChannel ch = channel(1_000_000, (r, form) -> {
            throw new AssertionError("must not be called");
        });
        ch.writeInbound(request("multipart/form-data; boundary=BB"));
        send(ch, ("--BB\r\nContent-Disposition: form-data; name=\"session_id\"\r\n\r\n" + "9".repeat(100_000)
                + "\r\n--BB--\r\n").getBytes(StandardCharsets.US_ASCII), 8192);
        FullHttpResponse r = response(ch);
        assertThat(r.status().code()).isEqualTo(400);
        assertThat(r.content().toString(StandardCharsets.UTF_8)).contains("form field is longer");
        r.release();
        ch.runPendingTasks();
        assertThat(spooled()).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void aClientThatGoesAwayMidUploadLeavesNothingBehind() throws Exception {
        EmbeddedChannel ch = channel(1_000_000, (r, form) -> {
            throw new AssertionError("must not be called");
        });
        ch.writeInbound(request("multipart/form-data; boundary=BB"));
        byte[] body = body("y".repeat(50_000));
        ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(body, 0, 30_000)));
        ch.runPendingTasks();
        ch.close();
        ch.runPendingTasks();
        assertThat(spooled()).isEmpty();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}
