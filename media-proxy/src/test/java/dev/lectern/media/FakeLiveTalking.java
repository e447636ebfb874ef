package dev.lectern.media;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A LiveTalking-compatible avatar server for tests, run as a real child process from the command template:
 * {@code java -cp … dev.lectern.media.FakeLiveTalking --listenport {port} --model {model} --avatar_id {avatar}}.
 *
 * <p>Same routes and envelope as LiveTalking (HTTP 200 with {@code {"code":-1,"msg"}} for errors). The
 * {@code --avatar_id} picks the behaviour, so that a catalogue entry can choose it:
 * <ul>
 *   <li>containing {@code uuid}: session ids are uuid strings (2026-04+ builds), otherwise 6-digit ints;</li>
 *   <li>containing {@code never_ready}: never opens its port (a model that never finishes loading);</li>
 *   <li>containing {@code crash_after_<millis>}: exits with code 3 that long after it started listening;</li>
 *   <li>containing {@code raw}: answers in raw bytes instead ({@link RawHttpAvatar}).</li>
 * </ul>
 * Test-only extras: {@code GET /__spoken?sessionid=} (the texts queued by {@code /human}, as a JSON array),
 * {@code GET /bytes?n=} (n bytes, chunked), {@code POST /echo} (the body back), {@code GET /slow?millis=}, and
 * {@code GET /headers} (the request headers it received).
 */
public final class FakeLiveTalking {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean uuidSessions;
    private final int maxSessions;
    private final Map<String, List<String>> sessions = new ConcurrentHashMap<>();

    private FakeLiveTalking(boolean uuidSessions, int maxSessions) {
        this.uuidSessions = uuidSessions;
        this.maxSessions = maxSessions;
    }

    public static void main(String[] args) throws Exception {
        int port = 8010;
        String avatar = "wav2lip256_avatar1";
        int maxSessions = 5;
        String host = "0.0.0.0";
        for (int i = 0; i + 1 < args.length; i++) {
            switch (args[i]) {
                case "--listenport" -> port = Integer.parseInt(args[++i]);
                case "--avatar_id" -> avatar = args[++i];
                case "--max_session" -> maxSessions = Integer.parseInt(args[++i]);
                case "--host" -> host = args[++i];
                default -> { }
            }
        }
        System.out.println("fake livetalking: avatar " + avatar + " host " + host + " port " + port + " cuda "
                + System.getenv("CUDA_VISIBLE_DEVICES"));
        System.out.println("fake livetalking: env " + String.join(",", new java.util.TreeSet<>(System.getenv()
                .keySet())) + " .");
        if (avatar.contains("never_ready")) {
            Thread.sleep(Long.MAX_VALUE);
            return;
        }
        if (avatar.contains("raw")) {
            RawHttpAvatar.serve(port);
            return;
        }
        FakeLiveTalking fake = new FakeLiveTalking(avatar.contains("uuid"), maxSessions);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", fake::handle);
        server.start();
        int crash = avatar.indexOf("crash_after_");
        if (crash >= 0) {
            long millis = Long.parseLong(avatar.substring(crash + "crash_after_".length()).replaceAll("\\D.*", ""));
            Thread.sleep(millis);
            System.out.println("fake livetalking: crashing as asked");
            Runtime.getRuntime().halt(3);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            switch (method + " " + path) {
                case "GET /" -> send(ex, 200, "text/html", "<html>fake livetalking</html>".getBytes(StandardCharsets.UTF_8));
                case "POST /offer" -> offer(ex);
                case "POST /human" -> human(ex);
                case "POST /interrupt_talk" -> withSession(ex, (id, q) -> {
                    q.clear();
                    return ok();
                });
                case "POST /is_speaking" -> withSession(ex, (id, q) -> ok().put("data", !q.isEmpty()));
                case "GET /__spoken" -> spoken(ex);
                case "GET /bytes" -> bytes(ex);
                case "POST /echo" -> echo(ex);
                case "GET /slow" -> slow(ex);
                case "GET /headers" -> headers(ex);
                default -> send(ex, 404, "text/plain", "404: Not Found".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static ObjectNode ok() {
        return JSON.createObjectNode().put("code", 0).put("msg", "ok");
    }

    private static ObjectNode error(String msg) {
        return JSON.createObjectNode().put("code", -1).put("msg", msg);
    }

    private void offer(HttpExchange ex) throws IOException {
        JsonNode req = readJson(ex);
        if (req == null || !req.path("sdp").isTextual() || !req.path("type").isTextual()) {
            sendJson(ex, error("sdp and type are required"));
            return;
        }
        if (sessions.size() >= maxSessions) {
            sendJson(ex, error("Maximum session limit reached (" + sessions.size() + "/" + maxSessions + ")"));
            return;
        }
        ObjectNode answer = JSON.createObjectNode()
                .put("sdp", "v=0\r\no=fake 1 1 IN IP4 127.0.0.1\r\ns=answer to " + req.get("sdp").asText().length()
                        + " bytes\r\n")
                .put("type", "answer");
        if (uuidSessions) {
            String id = UUID.randomUUID().toString();
            sessions.put("s:" + id, new ArrayList<>());
            answer.put("sessionid", id);
        } else {
            int id = ThreadLocalRandom.current().nextInt(100000, 1000000);
            sessions.put("i:" + id, new ArrayList<>());
            answer.put("sessionid", id);
        }
        sendJson(ex, answer);
    }

    /** The session's queue, found only with the id's exact JSON type, as LiveTalking's dict lookup does. */
    private List<String> session(JsonNode sessionId) {
        if (sessionId == null) {
            return null;
        }
        if (uuidSessions && sessionId.isTextual()) {
            return sessions.get("s:" + sessionId.asText());
        }
        if (!uuidSessions && sessionId.isIntegralNumber()) {
            return sessions.get("i:" + sessionId.asLong());
        }
        return null;
    }

    private void human(HttpExchange ex) throws IOException {
        JsonNode req = readJson(ex);
        List<String> q = req == null ? null : session(req.get("sessionid"));
        if (q == null) {
            sendJson(ex, error("session not found"));
            return;
        }
        if (!req.path("text").isTextual() || !"echo".equals(req.path("type").asText())) {
            sendJson(ex, error("text and type echo are required"));
            return;
        }
        synchronized (q) {
            if (req.path("interrupt").asBoolean(false)) {
                q.clear();
            }
            q.add(req.get("text").asText());
        }
        sendJson(ex, ok());
    }

    private interface SessionAction {
        ObjectNode apply(JsonNode id, List<String> queue);
    }

    private void withSession(HttpExchange ex, SessionAction action) throws IOException {
        JsonNode req = readJson(ex);
        List<String> q = req == null ? null : session(req.get("sessionid"));
        if (q == null) {
            sendJson(ex, error("session not found"));
            return;
        }
        synchronized (q) {
            sendJson(ex, action.apply(req.get("sessionid"), q));
        }
    }

    private void spoken(HttpExchange ex) throws IOException {
        String query = ex.getRequestURI().getQuery();
        String id = query == null ? "" : query.replaceFirst("^sessionid=", "");
        List<String> q = sessions.get((uuidSessions ? "s:" : "i:") + id);
        if (q == null) {
            sendJson(ex, error("session not found"));
            return;
        }
        synchronized (q) {
            send(ex, 200, "application/json", JSON.writeValueAsBytes(q));
        }
    }

    private static void bytes(HttpExchange ex) throws IOException {
        String query = ex.getRequestURI().getQuery();
        long n = Long.parseLong(query.replaceFirst("^n=", ""));
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, 0);
        byte[] chunk = new byte[16384];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) ('a' + i % 26);
        }
        try (OutputStream out = ex.getResponseBody()) {
            for (long left = n; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
    }

    private static void echo(HttpExchange ex) throws IOException {
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        ex.getResponseHeaders().set("Content-Type", type == null ? "application/octet-stream" : type);
        ex.sendResponseHeaders(200, 0);
        try (InputStream in = ex.getRequestBody(); OutputStream out = ex.getResponseBody()) {
            in.transferTo(out);
        }
    }

    private static void slow(HttpExchange ex) throws IOException {
        String query = ex.getRequestURI().getQuery();
        long millis = Long.parseLong(query.replaceFirst("^millis=", ""));
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sendJson(ex, ok());
    }

    private static void headers(HttpExchange ex) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        ex.getRequestHeaders().forEach((k, v) -> out.put(k.toLowerCase(), String.join(",", v)));
        out.put("uri", ex.getRequestURI().toString());
        out.put("remote_port", ex.getRemoteAddress().getPort());
        sendJson(ex, out);
    }

    private static JsonNode readJson(HttpExchange ex) {
        try (InputStream in = ex.getRequestBody()) {
            JsonNode n = JSON.readTree(in);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void sendJson(HttpExchange ex, JsonNode body) throws IOException {
        // LiveTalking answers errors with HTTP 200 too
        send(ex, 200, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
