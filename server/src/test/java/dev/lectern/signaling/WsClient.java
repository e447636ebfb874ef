package dev.lectern.signaling;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A JDK WebSocket client for tests: frames land in a queue (text as String, binary as byte[]), close is observed. */
final class WsClient implements WebSocket.Listener {
    static final Object CLOSED = new Object();
    private static final long WAIT_SECONDS = 10;

    final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    WebSocket ws;

    static WsClient connect(HttpClient client, String url) throws Exception {
        WsClient c = new WsClient();
        c.ws = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).buildAsync(URI.create(url), c)
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        return c;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            frames.add(text.toString());
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        binary.writeBytes(b);
        if (last) {
            frames.add(binary.toByteArray());
            binary = new java.io.ByteArrayOutputStream();
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        frames.add(CLOSED);
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        frames.add(CLOSED);
        closed.complete(-1);
    }

    void send(String s) throws Exception {
        ws.sendText(s, true).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** One text message sent as several WebSocket frames (a first frame and continuations). */
    void sendFragmented(String... parts) throws Exception {
        for (int i = 0; i < parts.length; i++) {
            ws.sendText(parts[i], i == parts.length - 1).get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    void sendBinary(byte[] b) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(b), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The next frame, or CLOSED; fails after the wait. */
    Object next() throws InterruptedException {
        Object f = frames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (f == null) {
            throw new AssertionError("no frame within " + WAIT_SECONDS + " s");
        }
        return f;
    }

    /** The next text frame that is not an Engine.IO ping. */
    String nextText() throws InterruptedException {
        while (true) {
            Object f = next();
            if (f == CLOSED) {
                throw new AssertionError("closed while waiting for a frame");
            }
            if (f instanceof String s && !s.equals("2")) {
                return s;
            }
            if (f instanceof byte[]) {
                throw new AssertionError("binary frame while waiting for text");
            }
        }
    }

    /** Waits until the server closes the connection. */
    void awaitClose() throws Exception {
        closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    void abort() {
        ws.abort();
    }
}
