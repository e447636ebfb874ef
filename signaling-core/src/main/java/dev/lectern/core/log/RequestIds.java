package dev.lectern.core.log;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/** Request ids: a client's {@code X-Request-Id} is kept when it is safe to log, otherwise a new one is made. */
public final class RequestIds {
    public static final String HEADER = "X-Request-Id";
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private RequestIds() {}

    public static String fromHeader(String header) {
        return header != null && VALID.matcher(header).matches() ? header : generate();
    }

    public static String generate() {
        char[] id = new char[16];
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        for (int i = 0; i < id.length; i++) {
            id[i] = ALPHABET[(bytes[i] & 0xff) % ALPHABET.length];
        }
        return new String(id);
    }
}
