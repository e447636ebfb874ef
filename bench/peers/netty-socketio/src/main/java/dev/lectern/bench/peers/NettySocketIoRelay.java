package dev.lectern.bench.peers;

import com.corundumstudio.socketio.AckRequest;
import com.corundumstudio.socketio.AuthTokenResult;
import com.corundumstudio.socketio.Configuration;
import com.corundumstudio.socketio.SocketIOClient;
import com.corundumstudio.socketio.SocketIOServer;
import com.corundumstudio.socketio.listener.DataListener;
import com.corundumstudio.socketio.namespace.Namespace;
import io.netty.channel.epoll.Epoll;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;

/**
 * The netty-socketio peer of the signaling benchmarks: netty-socketio 2.0.13 doing Lectern's join/offer relay for the
 * load generator (rooms of two; the same event names and payload shapes), with the checks Lectern's RelayValidator
 * makes on these events (room id shape and length, SDP shape and size, membership, room capacity). Lectern's
 * heartbeat settings; as many I/O threads as Lectern ({@code --worker-threads}: the bench passes the number Lectern
 * runs with {@code http.ioThreads: 0}, half the cores; one per core when not given) and, as Lectern, native epoll. It
 * has no connection state recovery and no recovery log, which Lectern keeps.
 *
 * <pre>java -cp target/classes:target/lib/* dev.lectern.bench.peers.NettySocketIoRelay --port 3000
 *     [--host 127.0.0.1] [--worker-threads N]</pre>
 * Started by {@code bin/bench SignalingLoad --peer netty-socketio}.
 */
public final class NettySocketIoRelay {
    private static final int ROOM_CAPACITY = 2; // signaling.roomCapacity
    private static final int MAX_ROOM_ID_CHARS = 128; // signaling.maxRoomIdChars
    private static final int MAX_SDP_BYTES = 65536; // signaling.maxSdpBytes
    private static final Pattern DEV_USER_ID = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");
    private static final String USER_ID = "user_id";

    private final SocketIOServer server;

    private NettySocketIoRelay(Configuration config) {
        this.server = new SocketIOServer(config);
        server.getNamespace(Namespace.DEFAULT_NAME).addAuthTokenListener((auth, client) -> {
            Object userId = auth instanceof Map<?, ?> m ? m.get(USER_ID) : null;
            if (userId instanceof String s && DEV_USER_ID.matcher(s).matches()) {
                client.set(USER_ID, s);
                return AuthTokenResult.AuthTokenResultSuccess;
            }
            return new AuthTokenResult(false, Map.of("message", "unauthorized"));
        });
        server.addEventListener("join", Map.class, handler(this::join));
        for (String event : List.of("offer", "answer")) {
            server.addEventListener(event, Map.class, handler((client, data) -> relaySdp(client, event, data)));
        }
        server.addEventListener("leave", Map.class, handler(this::leave));
        server.addDisconnectListener(client -> {
            for (String room : client.getAllRooms()) {
                if (!room.isEmpty()) { // every client is in the namespace's room ""
                    server.getRoomOperations(room).sendEvent("peer-left", client, left(client, room));
                }
            }
        });
    }

    public static void main(String[] args) throws InterruptedException {
        Configuration config = new Configuration();
        config.setHostname("127.0.0.1");
        config.setPort(3000);
        config.setBossThreads(1);
        config.setWorkerThreads(Runtime.getRuntime().availableProcessors());
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> config.setPort(Integer.parseInt(args[i + 1]));
                case "--host" -> config.setHostname(args[i + 1]);
                case "--worker-threads" -> config.setWorkerThreads(Integer.parseInt(args[i + 1]));
                default -> {
                    System.err.println("usage: NettySocketIoRelay --port N [--host H] [--worker-threads N]");
                    System.exit(64);
                }
            }
        }
        config.setPingInterval(25_000); // signaling.pingIntervalMillis
        config.setPingTimeout(20_000); // signaling.pingTimeoutMillis
        config.setMaxFramePayloadLength(1_000_000); // signaling.maxPayloadBytes
        config.setMaxHttpContentLength(1_000_000);
        config.setUseLinuxNativeEpoll(Epoll.isAvailable());
        NettySocketIoRelay relay = new NettySocketIoRelay(config);
        relay.server.start();
        System.out.println("listening " + config.getPort());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.server.stop();
            stopped.countDown();
        }, "relay-stop"));
        stopped.await();
    }

    /** A refused event: answered with an {@code error} event (and a failed ack), as Lectern answers. */
    private static final class RelayException extends RuntimeException {
        private final String code;

        RelayException(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    @FunctionalInterface
    private interface Handler {
        Object handle(SocketIOClient client, Map<?, ?> data);
    }

    @SuppressWarnings("rawtypes")
    private static DataListener<Map> handler(Handler h) {
        return (client, data, ack) -> {
            try {
                reply(ack, h.handle(client, data));
            } catch (RelayException e) {
                Map<String, Object> error = new LinkedHashMap<>();
                error.put("code", e.code);
                error.put("message", e.getMessage());
                client.sendEvent("error", error);
                reply(ack, Map.of("ok", false, "code", e.code, "message", e.getMessage()));
            }
        };
    }

    private static void reply(AckRequest ack, Object result) {
        if (ack.isAckRequested()) {
            ack.sendAckData(result);
        }
    }

    private Object join(SocketIOClient client, Map<?, ?> data) {
        String room = roomId(data);
        boolean again = client.getAllRooms().contains(room);
        List<Map<String, Object>> peers = new ArrayList<>();
        for (SocketIOClient other : server.getRoomOperations(room).getClients()) {
            if (!other.getSessionId().equals(client.getSessionId())) {
                peers.add(describe(other));
            }
        }
        if (!again && peers.size() >= ROOM_CAPACITY) {
            throw new RelayException("room_full", "the room is full");
        }
        client.joinRoom(room);
        Map<String, Object> joined = new LinkedHashMap<>();
        joined.put("room_id", room);
        joined.put("peer_id", client.getSessionId().toString());
        joined.put(USER_ID, client.get(USER_ID));
        joined.put("peers", peers);
        joined.put("ice_servers", List.of());
        client.sendEvent("joined", joined);
        if (!again) {
            Map<String, Object> notice = describe(client);
            notice.put("room_id", room);
            server.getRoomOperations(room).sendEvent("peer-joined", client, notice);
        }
        return joined;
    }

    private Object relaySdp(SocketIOClient client, String event, Map<?, ?> data) {
        String room = roomId(data);
        String sdp = sdp(data);
        if (!client.getAllRooms().contains(room)) {
            throw new RelayException("not_in_room", "not a member of this room");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("room_id", room);
        out.put("sdp", sdp);
        out.put("from", client.getSessionId().toString());
        out.put(USER_ID, client.get(USER_ID));
        server.getRoomOperations(room).sendEvent(event, client, out);
        return ok(room);
    }

    private Object leave(SocketIOClient client, Map<?, ?> data) {
        String room = roomId(data);
        if (!client.getAllRooms().contains(room)) {
            throw new RelayException("not_in_room", "not a member of this room");
        }
        client.leaveRoom(room);
        server.getRoomOperations(room).sendEvent("peer-left", client, left(client, room));
        return ok(room);
    }

    private static Map<String, Object> ok(String room) {
        Map<String, Object> ok = new LinkedHashMap<>();
        ok.put("ok", true);
        ok.put("room_id", room);
        return ok;
    }

    private static Map<String, Object> left(SocketIOClient client, String room) {
        Map<String, Object> notice = new LinkedHashMap<>();
        notice.put("room_id", room);
        notice.put("peer_id", client.getSessionId().toString());
        notice.put(USER_ID, client.get(USER_ID));
        return notice;
    }

    private static Map<String, Object> describe(SocketIOClient client) {
        Map<String, Object> peer = new LinkedHashMap<>();
        peer.put("peer_id", client.getSessionId().toString());
        peer.put(USER_ID, client.get(USER_ID));
        peer.put("is_host", false);
        return peer;
    }

    private static String roomId(Map<?, ?> data) {
        if (data == null) {
            throw new RelayException("bad_request", "data must be an object");
        }
        if (!(data.get("room_id") instanceof String id) || id.isEmpty()) {
            throw new RelayException("bad_request", "room_id must be a non-empty string");
        }
        if (id.length() > MAX_ROOM_ID_CHARS || !only(id, "_.:@-")) {
            throw new RelayException("bad_request", "room_id must be at most " + MAX_ROOM_ID_CHARS
                    + " characters of A-Z a-z 0-9 _ . : @ -");
        }
        return id;
    }

    private static String sdp(Map<?, ?> data) {
        if (!(data.get("sdp") instanceof String sdp)) {
            throw new RelayException("invalid_sdp", "sdp must be a string");
        }
        if (!sdp.startsWith("v=0")) {
            throw new RelayException("invalid_sdp", "sdp must start with v=0");
        }
        if (sdp.length() > MAX_SDP_BYTES || sdp.getBytes(StandardCharsets.UTF_8).length > MAX_SDP_BYTES) {
            throw new RelayException("invalid_sdp", "sdp larger than " + MAX_SDP_BYTES + " bytes");
        }
        return sdp;
    }

    private static boolean only(String s, String extra) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || extra.indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }
}
