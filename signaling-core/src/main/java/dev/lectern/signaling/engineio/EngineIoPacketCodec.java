package dev.lectern.signaling.engineio;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Engine.IO v4 packet encoding: one packet per WebSocket frame, or {@code \x1e}-joined payloads for polling. */
public final class EngineIoPacketCodec {
    public static final char SEPARATOR = '\u001e';

    private EngineIoPacketCodec() {}

    /** Decodes a text WebSocket frame or one element of a polling payload. */
    public static EngineIoPacket decode(String frame) {
        if (frame.isEmpty()) {
            throw new EngineIoException("empty packet");
        }
        EngineIoPacket.Type type = EngineIoPacket.Type.of(frame.charAt(0));
        if (type == null) {
            throw new EngineIoException("unknown packet type");
        }
        return new EngineIoPacket(type, frame.substring(1), null);
    }

    /** Decodes a polling body: text packets separated by 0x1e, binary ones as {@code b<base64>}. */
    public static List<EngineIoPacket> decodePayload(String body) {
        List<EngineIoPacket> packets = new ArrayList<>();
        int start = 0;
        while (start <= body.length()) {
            int end = body.indexOf(SEPARATOR, start);
            if (end < 0) {
                end = body.length();
            }
            String part = body.substring(start, end);
            if (!part.isEmpty() && part.charAt(0) == 'b') {
                try {
                    packets.add(EngineIoPacket.binary(Base64.getDecoder().decode(part.substring(1))));
                } catch (IllegalArgumentException e) {
                    throw new EngineIoException("invalid base64 binary packet");
                }
            } else {
                packets.add(decode(part));
            }
            start = end + 1;
        }
        return packets;
    }

    /** Encodes a text packet for a WebSocket text frame (binary packets go out as binary frames as they are). */
    public static String encode(EngineIoPacket packet) {
        if (packet.isBinary()) {
            throw new IllegalArgumentException("binary packets are sent as binary frames");
        }
        return packet.type().code() + packet.text();
    }

    /** Encodes packets as one polling response body. */
    public static String encodePayload(List<EngineIoPacket> packets) {
        StringBuilder sb = new StringBuilder();
        for (EngineIoPacket p : packets) {
            if (sb.length() > 0) {
                sb.append(SEPARATOR);
            }
            if (p.isBinary()) {
                sb.append('b').append(Base64.getEncoder().encodeToString(p.binary()));
            } else {
                sb.append(p.type().code()).append(p.text());
            }
        }
        return sb.toString();
    }
}
