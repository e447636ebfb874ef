package dev.lectern.core.util;

import java.util.Arrays;
import java.util.Set;

/**
 * Copy-on-write immutable sets for the values of concurrent maps that hold, per key, a handful of elements that
 * rarely change (the rooms of one peer, the sockets of one user). Use them inside {@code Map.compute}: a set of one
 * element costs one small object, where a concurrent key set costs a map, a view, a table and a node (about 200 bytes,
 * per connection).
 */
public final class CowSets {
    private CowSets() {}

    /** {@code set} with {@code element} added; a new set, or {@code set} itself when it already holds it. */
    public static <T> Set<T> plus(Set<T> set, T element) {
        if (set == null || set.isEmpty()) {
            return Set.of(element);
        }
        if (set.contains(element)) {
            return set;
        }
        Object[] all = Arrays.copyOf(set.toArray(), set.size() + 1);
        all[set.size()] = element;
        @SuppressWarnings("unchecked")
        Set<T> result = (Set<T>) Set.of(all);
        return result;
    }

    /** {@code set} without {@code element}; null when nothing is left (so that {@code compute} removes the key). */
    public static <T> Set<T> minus(Set<T> set, T element) {
        if (set == null || !set.contains(element)) {
            return set == null || set.isEmpty() ? null : set;
        }
        if (set.size() == 1) {
            return null;
        }
        Object[] rest = new Object[set.size() - 1];
        int i = 0;
        for (T e : set) {
            if (!e.equals(element)) {
                rest[i++] = e;
            }
        }
        @SuppressWarnings("unchecked")
        Set<T> result = (Set<T>) Set.of(rest);
        return result;
    }
}
