package dev.lectern.signaling.engineio;

import java.util.Objects;

/**
 * One Engine.IO v4 packet. A text packet has {@code text} (possibly empty) and no {@code binary}; a binary message
 * (type MESSAGE only) has {@code binary} and no {@code text}.
 */
public record EngineIoPacket(Type type, String text, byte[] binary) {
    public enum Type {
        OPEN('0'), CLOSE('1'), PING('2'), PONG('3'), MESSAGE('4'), UPGRADE('5'), NOOP('6');

        private static final Type[] BY_CODE = values(); // values() copies its array at every call

        private final char code;

        Type(char code) {
            this.code = code;
        }

        public char code() {
            return code;
        }

        static Type of(char c) {
            return c >= '0' && c <= '6' ? BY_CODE[c - '0'] : null;
        }
    }

    public static final EngineIoPacket PING = new EngineIoPacket(Type.PING, "", null);
    public static final EngineIoPacket PONG = new EngineIoPacket(Type.PONG, "", null);
    public static final EngineIoPacket NOOP = new EngineIoPacket(Type.NOOP, "", null);
    public static final EngineIoPacket CLOSE = new EngineIoPacket(Type.CLOSE, "", null);
    public static final EngineIoPacket PROBE_PONG = new EngineIoPacket(Type.PONG, "probe", null);

    public EngineIoPacket {
        Objects.requireNonNull(type, "type");
        if ((text == null) == (binary == null)) {
            throw new IllegalArgumentException("exactly one of text and binary");
        }
        if (binary != null && type != Type.MESSAGE) {
            throw new IllegalArgumentException("only messages carry binary data");
        }
    }

    public static EngineIoPacket message(String text) {
        return new EngineIoPacket(Type.MESSAGE, text, null);
    }

    public static EngineIoPacket binary(byte[] data) {
        return new EngineIoPacket(Type.MESSAGE, null, data);
    }

    public boolean isBinary() {
        return binary != null;
    }

    /** Rough size in bytes, for queue accounting. */
    public int size() {
        return binary != null ? binary.length : text.length() + 1;
    }
}
