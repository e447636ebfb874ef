package dev.lectern.signaling.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * One Socket.IO v5 packet. {@code id} is the ack id or -1; {@code data} is the JSON payload or null;
 * {@code attachments} holds the binary parts of a BINARY_EVENT / BINARY_ACK, whose placeholders stay in {@code data}.
 */
public record SocketIoPacket(Type type, String nsp, long id, JsonNode data, List<byte[]> attachments) {
    public enum Type {
        CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK;

        public boolean isBinary() {
            return this == BINARY_EVENT || this == BINARY_ACK;
        }
    }

    public static final String ROOT = "/";

    public SocketIoPacket {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(nsp, "nsp");
        attachments = attachments == null ? List.of() : attachments;
    }

    public SocketIoPacket(Type type, String nsp, long id, JsonNode data) {
        this(type, nsp, id, data, List.of());
    }

    public boolean hasAck() {
        return id >= 0;
    }

    public SocketIoPacket withAttachments(List<byte[]> parts) {
        return new SocketIoPacket(type, nsp, id, data, List.copyOf(parts));
    }
}
