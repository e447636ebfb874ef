package dev.lectern.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Request headers as plain Java: names are case-insensitive, values in arrival order. */
public final class Headers {
    public static final Headers EMPTY = new Headers(Map.of());

    private final Map<String, List<String>> values;

    private Headers(Map<String, List<String>> values) {
        this.values = values;
    }

    public static Headers of(Iterable<Map.Entry<String, String>> entries) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : entries) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            List<String> seen = map.get(name);
            if (seen == null) {
                map.put(name, List.of(e.getValue())); // nearly every header comes once: no list to grow and copy
            } else {
                List<String> more = new ArrayList<>(seen.size() + 1);
                more.addAll(seen);
                more.add(e.getValue());
                map.put(name, Collections.unmodifiableList(more));
            }
        }
        return new Headers(Collections.unmodifiableMap(map));
    }

    /** The first value of a header, or null. */
    public String get(String name) {
        List<String> list = values.get(name.toLowerCase(Locale.ROOT));
        return list == null || list.isEmpty() ? null : list.get(0);
    }

    public List<String> getAll(String name) {
        return values.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }

    public Map<String, List<String>> asMap() {
        return values;
    }
}
