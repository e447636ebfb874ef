package dev.lectern.core.log;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/** Request ids: a client's {@code X-Request-Id} is kept when it is safe to log, otherwise a new one is made. */
public final class RequestIds {
    public static final String HEADER = "X-Request-Id";
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    private RequestIds() {}

    public static String fromHeader(String header) {
        return header != null && VALID.matcher(header).matches() ? header : generate();
    }

    /**
     * 16 characters from 36 (about 82 bits). An id only has to be unique enough to find a request in the logs, not
     * unguessable, so it comes from the thread's own generator: {@code SecureRandom} costs a lock and a read of the
     * kernel's pool on every request.
     */
    public static String generate() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[16];
        for (int i = 0; i < id.length; i++) {
            id[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }
}
