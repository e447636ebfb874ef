package dev.lectern.http;

import java.util.Locale;
import java.util.Map;

/**
 * Request headers as plain Java: names are case-insensitive, values in arrival order. Kept as one flat array of
 * lower-cased names and values, filled by one pass over the decoder's headers: a request carries a handful of
 * headers and a route reads one or two, where a map of lists would cost a node and a list per header on every request.
 */
public final class Headers {
    public static final Headers EMPTY = new Headers(new String[0], 0);

    /** name0, value0, name1, value1, …; names lower-cased. */
    private final String[] flat;
    private final int size;

    private Headers(String[] flat, int size) {
        this.flat = flat;
        this.size = size;
    }

    public static Headers of(Iterable<Map.Entry<String, String>> entries) {
        String[] flat = new String[16];
        int n = 0;
        for (Map.Entry<String, String> e : entries) {
            if (n == flat.length) {
                String[] bigger = new String[n * 2];
                System.arraycopy(flat, 0, bigger, 0, n);
                flat = bigger;
            }
            flat[n++] = e.getKey().toLowerCase(Locale.ROOT); // no copy when it already is
            flat[n++] = e.getValue();
        }
        return new Headers(flat, n);
    }

    /** The first value of a header, or null. */
    public String get(String name) {
        for (int i = 0; i < size; i += 2) {
            if (flat[i].equalsIgnoreCase(name)) {
                return flat[i + 1];
            }
        }
        return null;
    }
}
