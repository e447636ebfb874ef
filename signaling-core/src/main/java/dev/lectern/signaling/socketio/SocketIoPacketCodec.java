package dev.lectern.signaling.socketio;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.signaling.socketio.SocketIoPacket.Type;

/**
 * Socket.IO v5 text encoding: {@code <type>[<attachments>-][<nsp>,][<ack id>][<JSON>]}. Decoding is strict, like the
 * reference parser: an unknown type, a bad attachment count, a payload that is not valid for the type or trailing
 * garbage after the ack id is a {@link SocketIoException}.
 */
public final class SocketIoPacketCodec {
    private static final long MAX_ID = 1L << 52;
    private static final int MAX_ATTACHMENTS = 64;
    private static final Type[] TYPES = Type.values(); // values() copies its array at every call

    private SocketIoPacketCodec() {}

    /** Decodes the text part; a binary packet then awaits {@code attachmentCount} binary messages. */
    public static Decoded decode(String s) {
        if (s.isEmpty()) {
            throw new SocketIoException("empty packet");
        }
        int t = s.charAt(0) - '0';
        if (t < 0 || t >= TYPES.length) {
            throw new SocketIoException("unknown packet type");
        }
        Type type = TYPES[t];
        int i = 1;
        int attachments = 0;
        if (type.isBinary()) {
            int dash = s.indexOf('-', i);
            if (dash < 0 || dash == i || dash - i > 2) {
                throw new SocketIoException("invalid attachment count");
            }
            for (int k = i; k < dash; k++) {
                if (!Character.isDigit(s.charAt(k))) {
                    throw new SocketIoException("invalid attachment count");
                }
            }
            attachments = Integer.parseInt(s, i, dash, 10);
            if (attachments > MAX_ATTACHMENTS) {
                throw new SocketIoException("too many attachments");
            }
            i = dash + 1;
        }
        String nsp = SocketIoPacket.ROOT;
        if (i < s.length() && s.charAt(i) == '/') {
            int comma = s.indexOf(',', i);
            int end = comma < 0 ? s.length() : comma;
            nsp = s.substring(i, end);
            i = comma < 0 ? s.length() : comma + 1;
        }
        long id = -1;
        int idStart = i;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
            if (i - idStart > 15) {
                throw new SocketIoException("invalid ack id");
            }
        }
        if (i > idStart) {
            id = Long.parseLong(s, idStart, i, 10);
            if (id >= MAX_ID) {
                throw new SocketIoException("invalid ack id");
            }
        }
        JsonNode data = null;
        if (i < s.length()) {
            try {
                data = Json.MAPPER.readTree(s.substring(i));
            } catch (JsonProcessingException e) {
                throw new SocketIoException("invalid payload");
            }
        }
        if (!payloadValid(type, data)) {
            throw new SocketIoException("invalid payload for " + type);
        }
        if ((type == Type.CONNECT || type == Type.DISCONNECT || type == Type.CONNECT_ERROR) && id >= 0) {
            throw new SocketIoException("unexpected ack id");
        }
        return new Decoded(new SocketIoPacket(type, nsp, id, data), attachments);
    }

    private static boolean payloadValid(Type type, JsonNode data) {
        return switch (type) {
            case CONNECT -> data == null || data.isObject();
            case DISCONNECT -> data == null;
            case CONNECT_ERROR -> data != null && (data.isObject() || data.isTextual());
            case EVENT, BINARY_EVENT -> data != null && data.isArray() && !data.isEmpty()
                    && (data.get(0).isTextual() || data.get(0).isNumber());
            case ACK, BINARY_ACK -> data != null && data.isArray();
        };
    }

    /** Encodes the text part; for a packet with attachments the type becomes BINARY_* with the count. */
    public static String encode(SocketIoPacket p) {
        StringBuilder sb = new StringBuilder(32);
        Type type = p.type();
        int n = p.attachments().size();
        if (n > 0) {
            type = type == Type.ACK || type == Type.BINARY_ACK ? Type.BINARY_ACK : Type.BINARY_EVENT;
        } else if (type.isBinary()) {
            type = type == Type.BINARY_ACK ? Type.ACK : Type.EVENT;
        }
        sb.append((char) ('0' + type.ordinal()));
        if (type.isBinary()) {
            sb.append(n).append('-');
        }
        if (!SocketIoPacket.ROOT.equals(p.nsp())) {
            sb.append(p.nsp()).append(',');
        }
        if (p.id() >= 0) {
            sb.append(p.id());
        }
        if (p.data() != null) {
            sb.append(Json.write(p.data()));
        }
        return sb.toString();
    }

    /** A decoded text part and the number of binary attachments that must follow it. */
    public record Decoded(SocketIoPacket packet, int attachmentCount) {}
}
