package dev.lectern.signaling.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lectern.core.json.Json;
import java.util.List;
import java.util.concurrent.Executor;

/** One client connected to one namespace. {@link #emit} may be called from any thread. */
public final class SocketIoSocket {
    private final SocketIoConnection connection;
    private final String nsp;
    private final String id;
    private final Object principal;
    private volatile boolean connected = true;

    SocketIoSocket(SocketIoConnection connection, String nsp, String id, Object principal) {
        this.connection = connection;
        this.nsp = nsp;
        this.id = id;
        this.principal = principal;
    }

    public String id() {
        return id;
    }

    public String nsp() {
        return nsp;
    }

    /** What {@link Namespace#authorize} completed with. */
    public Object principal() {
        return principal;
    }

    public boolean isConnected() {
        return connected;
    }

    void markDisconnected() {
        connected = false;
    }

    public Executor executor() {
        return connection.executor();
    }

    /** Emits an event with JSON arguments. */
    public void emit(String event, JsonNode... args) {
        ArrayNode data = Json.MAPPER.createArrayNode().add(event);
        for (JsonNode a : args) {
            data.add(a);
        }
        emitRaw(data, List.of());
    }

    /** Emits an event whose array (name first) may hold placeholders for {@code attachments}. */
    public void emitRaw(ArrayNode data, List<byte[]> attachments) {
        connection.sendFromAnyThread(new SocketIoPacket(SocketIoPacket.Type.EVENT, nsp, -1, data, attachments));
    }

    /** Disconnects this namespace (server side): the client gets a DISCONNECT packet. */
    public void disconnect() {
        connection.executor().execute(() -> connection.disconnectFromServer(this));
    }

    /** Closes the whole underlying connection. */
    public void closeConnection(String reason) {
        connection.executor().execute(() -> connection.close(reason));
    }
}
