package dev.lectern.core.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A secret value. {@link #toString()} never shows it, so it cannot end up in a log line by accident. */
public final class Secret {
    private final String source;
    private final byte[] value;

    public Secret(String source, String value) {
        this.source = source;
        this.value = value.getBytes(StandardCharsets.UTF_8);
    }

    /** Where it came from (an environment variable or a file), for messages. */
    public String source() {
        return source;
    }

    public String reveal() {
        return new String(value, StandardCharsets.UTF_8);
    }

    public byte[] bytes() {
        return Arrays.copyOf(value, value.length);
    }

    public int length() {
        return value.length;
    }

    @Override
    public String toString() {
        return "<redacted from " + source + ">";
    }
}
