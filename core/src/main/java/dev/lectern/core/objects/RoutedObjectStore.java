package dev.lectern.core.objects;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Objects in several stores chosen by the key's first part (its {@code bucket/}): keys of a routed part go to their
 * store (the seed's separate S3 buckets of lecture recordings and of course content), every other key to the default
 * store. Keys are kept whole in every store, so the age purge keeps {@code uploads-…} objects wherever they live.
 */
public final class RoutedObjectStore implements ObjectStore {
    private final ObjectStore fallback;
    private final Map<String, ObjectStore> routes;

    /** @param routes the store of each routed first key part; the stores are closed with this one */
    public RoutedObjectStore(ObjectStore fallback, Map<String, ObjectStore> routes) {
        this.fallback = fallback;
        this.routes = Map.copyOf(routes);
    }

    /** The store holding the key. */
    public ObjectStore storeOf(String key) {
        ObjectStore.checkKey(key);
        return routes.getOrDefault(key.substring(0, key.indexOf('/')), fallback);
    }

    @Override
    public void put(String key, byte[] bytes) {
        storeOf(key).put(key, bytes);
    }

    @Override
    public void put(String key, Path file) {
        storeOf(key).put(key, file);
    }

    @Override
    public Optional<byte[]> get(String key) {
        return storeOf(key).get(key);
    }

    @Override
    public boolean copyTo(String key, Path target) {
        return storeOf(key).copyTo(key, target);
    }

    @Override
    public boolean delete(String key) {
        return storeOf(key).delete(key);
    }

    @Override
    public String signedUrl(String key, Duration ttl) {
        return storeOf(key).signedUrl(key, ttl);
    }

    @Override
    public int purgeOlderThan(Duration age) {
        int removed = 0;
        for (ObjectStore s : stores()) {
            removed += s.purgeOlderThan(age);
        }
        return removed;
    }

    @Override
    public void close() {
        for (ObjectStore s : stores()) {
            s.close();
        }
    }

    /** Each distinct store once (two parts may share one). */
    private List<ObjectStore> stores() {
        Set<ObjectStore> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<ObjectStore> out = new ArrayList<>();
        for (ObjectStore s : routes.values()) {
            if (s != fallback && seen.add(s)) {
                out.add(s);
            }
        }
        out.add(fallback);
        return out;
    }
}
