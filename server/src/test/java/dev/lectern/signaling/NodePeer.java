package dev.lectern.signaling;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.server.NodeTools;
import dev.lectern.testing.TestConfigs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real socket.io-client (npm) in a node process, driven by JSON lines (see tests/js/peer.mjs). */
final class NodePeer implements AutoCloseable {
    private static final long WAIT_SECONDS = 15;

    private final Process process;
    private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();
    private final List<JsonNode> seen = new ArrayList<>();

    /** Skips (or fails under CI=true) when node or the installed client is missing. */
    static void assumeAvailable() {
        NodeTools.assumeInstalled("socket.io-client tests", new NodeTools.Needed(
                TestConfigs.home().resolve("tests/js/node_modules/socket.io-client"), "run bin/test-deps"));
    }

    NodePeer(String url, String authJson, String transports) throws IOException {
        this(url, authJson, transports, "once");
    }

    /** @param mode "reconnect" lets the client reconnect (and recover its state) after a drop */
    NodePeer(String url, String authJson, String transports, String mode) throws IOException {
        this(url, authJson, transports, mode, "{}");
    }

    /** @param headersJson headers the client sends with its handshakes (a browser's cookie) */
    NodePeer(String url, String authJson, String transports, String mode, String headersJson) throws IOException {
        Path dir = TestConfigs.home().resolve("tests/js");
        process = new ProcessBuilder("node", "peer.mjs", url, authJson, transports, mode, headersJson)
                .directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(Json.MAPPER.readTree(line));
                }
            } catch (IOException e) {
                // process ended
            }
        }, "node-peer-reader");
        reader.setDaemon(true);
        reader.start();
    }

    void command(String json) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    void emit(String event, String dataJson, int ack) throws IOException {
        command("{\"emit\":\"" + event + "\",\"data\":" + dataJson + ",\"ack\":" + ack + "}");
    }

    /** The next line matching, skipping others (kept for the failure message). */
    JsonNode await(Predicate<JsonNode> match, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            JsonNode n = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (n == null) {
                throw new AssertionError("no " + what + " within " + WAIT_SECONDS + " s; saw " + seen);
            }
            seen.add(n);
            if (match.test(n)) {
                return n;
            }
        }
    }

    JsonNode awaitEvent(String event) throws InterruptedException {
        return await(n -> event.equals(n.path("event").asText(null)), "event " + event).get("data");
    }

    JsonNode awaitAck(int id) throws InterruptedException {
        return await(n -> n.has("ack") && n.get("ack").asInt() == id, "ack " + id).get("data");
    }

    JsonNode awaitKey(String key) throws InterruptedException {
        return await(n -> n.has(key), key).get(key);
    }

    /** The whole next line that has this key. */
    JsonNode awaitLine(String key) throws InterruptedException {
        return await(n -> n.has(key), key);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
