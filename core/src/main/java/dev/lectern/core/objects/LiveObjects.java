package dev.lectern.core.objects;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Objects that can be read while they are still being written (a sentence's speech while the TTS engine produces
 * it). Each {@link LiveObject} grows in a spool file under {@code spoolDir}; readers read it by offset at their own
 * pace, so a slow reader holds no more than what it asked for. When the writer completes, the bytes are stored in the
 * {@link ObjectStore} under the same key and the live object is forgotten: later requests find the stored object.
 *
 * <p>The URLs it hands out are this server's ({@code urlPrefix}, e.g. {@code /api/objects/}), signed with the same
 * {@link UrlSigner} as the local store's, whatever store holds the complete object: only this server can serve the
 * growing bytes. They carry {@code live=1}: a node of the cluster without the live object (the browser's request
 * went to another node) waits, for at most {@link #elsewhereWait} (the TTS timeout), until the object is in the shared
 * store and then serves it from there. That node does not stream the growing bytes (it would have to find and call
 * the owner): the student hears the clip once it is synthesised, never a 404.
 */
public final class LiveObjects {
    private final ObjectStore store;
    private final UrlSigner signer;
    private final String urlPrefix;
    private final Clock clock;
    private final Path spoolDir;
    private final long maxBytes;
    private final Map<String, LiveObject> live = new ConcurrentHashMap<>();
    private final AtomicLong readersBuffered = new AtomicLong();
    private final AtomicLong awaitingElsewhere = new AtomicLong();
    private final Duration elsewhereWait;

    /** Live objects that other nodes never wait for ({@link #elsewhereWait} zero: one node). */
    public LiveObjects(ObjectStore store, UrlSigner signer, String urlPrefix, Clock clock, Path spoolDir,
                       long maxBytes) {
        this(store, signer, urlPrefix, clock, spoolDir, maxBytes, Duration.ZERO);
    }

    /**
     * @param elsewhereWait how long a request for a live object's URL that this node does not have waits for the
     *                      object to appear in the store (it may be growing on another node): the TTS timeout
     */
    public LiveObjects(ObjectStore store, UrlSigner signer, String urlPrefix, Clock clock, Path spoolDir,
                       long maxBytes, Duration elsewhereWait) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive");
        }
        this.store = store;
        this.signer = signer;
        this.urlPrefix = urlPrefix;
        this.clock = clock;
        this.spoolDir = spoolDir;
        this.maxBytes = maxBytes;
        this.elsewhereWait = elsewhereWait;
    }

    /** Deletes spool files a previous process left behind; call once at start-up (blocks). */
    public void sweepSpool() {
        if (!Files.isDirectory(spoolDir)) {
            return;
        }
        try (Stream<Path> files = Files.list(spoolDir)) {
            files.forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    // the next sweep tries again
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sweep " + spoolDir, e);
        }
    }

    /**
     * Starts an object that grows under {@code key}: no I/O (its spool file is created by its first write), so a URL
     * for it can be handed out from any thread, an event loop too.
     */
    public LiveObject create(String key) {
        ObjectStore.checkKey(key);
        LiveObject object = new LiveObject(key, spoolDir.resolve("live-" + UUID.randomUUID()), maxBytes, this);
        if (live.putIfAbsent(key, object) != null) {
            throw new IllegalArgumentException("an object is already being written under " + key);
        }
        return object;
    }

    /** The object still being written (or being stored) under {@code key}. */
    public Optional<LiveObject> find(String key) {
        return Optional.ofNullable(live.get(key));
    }

    /** How many objects are being written or stored now. */
    public int size() {
        return live.size();
    }

    /** A URL of this server that serves the object while it grows and after it is stored. */
    public String signedUrl(String key, Duration ttl) {
        ObjectStore.checkKey(key);
        long expires = clock.instant().plus(ttl).getEpochSecond();
        return urlPrefix + key + "?expires=" + expires + "&sig=" + signer.sign(key, expires) + "&" + LIVE_PARAM + "=1";
    }

    /** The query parameter that marks a live object's URL (not signed: it only makes its own request wait). */
    public static final String LIVE_PARAM = "live";

    /** How long a node without the live object waits for it to be stored (zero: it does not wait). */
    public Duration elsewhereWait() {
        return elsewhereWait;
    }

    /** A request for a live object stored nowhere yet starts (positive) or stops (negative) waiting for it. */
    public void awaitingElsewhere(long delta) {
        awaitingElsewhere.addAndGet(delta);
    }

    /** Requests waiting now for a live object that grows on another node (or failed) to be stored. */
    public long awaitingElsewhereCount() {
        return awaitingElsewhere.get();
    }

    /** A reader handed {@code delta} bytes to its connection (positive) or its connection wrote them (negative). */
    public void readersBuffered(long delta) {
        readersBuffered.addAndGet(delta);
    }

    /** Bytes of objects that readers hold in memory now: handed to connections and not yet written to the socket. */
    public long readersBufferedBytes() {
        return readersBuffered.get();
    }

    public UrlSigner signer() {
        return signer;
    }

    public ObjectStore store() {
        return store;
    }

    void stored(LiveObject object) {
        live.remove(object.key(), object);
    }
}
