package dev.lectern.signaling.socketio;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The events sent on the recoverable sockets of one server, kept for replay in a single ring of bytes rather than as
 * objects per socket. At thousands of events a second, events kept as objects for the replay window survive several
 * young collections and are copied by each (G1's pause grows with what survives, and the relay's tail latency with
 * it); bytes in one long-lived array are never copied and their writes need no GC barrier.
 *
 * <p>Each entry links to the previous entry of the same socket, so a socket holds one position. Entries are kept at
 * least for {@code windowNanos}: while the oldest entry is younger than that, the ring doubles instead of overwriting,
 * up to {@code maxBytes}; beyond that the oldest entries are overwritten, and a client that missed one of them is
 * refused recovery (it connects afresh, as the protocol allows). The ring keeps its largest size once grown.
 *
 * <p>Entry layout: total length (int), previous entry of the socket (long, -1 for none), offset (long), time (long),
 * text length (int), text (UTF-8), attachment count (int), then each attachment as length (int) and bytes.
 */
final class ReplayLog {
    static final int INITIAL_BYTES = 64 * 1024;
    private static final int HEADER = 4 + 8 + 8 + 8 + 4;

    private final int maxBytes;
    private final long windowNanos;
    private byte[] ring;
    private int mask;
    /** The next write position; positions only grow, so a stale one is recognised by {@code < tail}. */
    private long head;
    /** Where the oldest entry still whole starts. */
    private long tail;

    /**
     * @param maxBytes the largest the ring may grow to (rounded down to a power of two, at least {@link #INITIAL_BYTES})
     * @param windowMillis how long entries are kept before they may be overwritten (as long as the ring may still grow)
     */
    ReplayLog(long maxBytes, long windowMillis) {
        long capped = Math.max(INITIAL_BYTES, Math.min(maxBytes, 1L << 30));
        this.maxBytes = (int) Long.highestOneBit(capped);
        this.windowNanos = windowMillis * 1_000_000L;
        this.ring = new byte[Math.min(INITIAL_BYTES, this.maxBytes)];
        this.mask = ring.length - 1;
    }

    /** A kept event, decoded again for a replay. */
    record Entry(long offset, String text, List<byte[]> attachments) {}

    /**
     * Appends one event of a socket whose latest entry is at {@code previous} (-1 for none); returns the new entry's
     * position, or -1 when the event is larger than the ring can ever hold.
     */
    synchronized long append(long previous, long offset, String text, List<byte[]> attachments, long nowNanos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        long length = HEADER + (long) utf8.length + 4;
        for (byte[] a : attachments) {
            length += 4 + a.length;
        }
        if (length > maxBytes) {
            return -1;
        }
        makeRoom((int) length, nowNanos);
        long at = head;
        long p = putInt(at, (int) length);
        p = putLong(p, previous);
        p = putLong(p, offset);
        p = putLong(p, nowNanos);
        p = putInt(p, utf8.length);
        p = put(p, utf8);
        p = putInt(p, attachments.size());
        for (byte[] a : attachments) {
            p = putInt(p, a.length);
            p = put(p, a);
        }
        head = p;
        return at;
    }

    /**
     * The {@code count} events of a socket ending with the one at {@code latest}, oldest first; null when one of them
     * is no longer kept.
     */
    synchronized List<Entry> read(long latest, int count) {
        List<Entry> entries = new ArrayList<>(count);
        long p = latest;
        long expectedOffset = -1;
        for (int i = 0; i < count; i++) {
            if (p < tail || p >= head) {
                return null;
            }
            long previous = getLong(p + 4);
            long offset = getLong(p + 12);
            if (expectedOffset >= 0 && offset != expectedOffset) {
                return null; // a socket's offsets are consecutive: anything else is not its entry
            }
            long q = p + HEADER;
            byte[] text = get(q, getInt(p + 28));
            q += text.length;
            int n = getInt(q);
            q += 4;
            List<byte[]> attachments = n == 0 ? List.of() : new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                byte[] a = get(q + 4, getInt(q));
                attachments.add(a);
                q += 4 + a.length;
            }
            entries.add(new Entry(offset, new String(text, StandardCharsets.UTF_8), attachments));
            expectedOffset = offset - 1;
            p = previous;
        }
        Collections.reverse(entries);
        return entries;
    }

    synchronized int capacity() {
        return ring.length;
    }

    private void makeRoom(int length, long nowNanos) {
        while (head + length - tail > ring.length) {
            if (ring.length < maxBytes && (tail == head || nowNanos - getLong(tail + 20) < windowNanos)) {
                grow();
            } else {
                tail += getInt(tail);
            }
        }
    }

    private void grow() {
        byte[] old = ring;
        int oldMask = mask;
        byte[] bigger = new byte[old.length * 2];
        int newMask = bigger.length - 1;
        for (long p = tail; p < head; ) {
            int from = (int) (p & oldMask);
            int to = (int) (p & newMask);
            int n = (int) Math.min(head - p, Math.min(old.length - from, bigger.length - to));
            System.arraycopy(old, from, bigger, to, n);
            p += n;
        }
        ring = bigger;
        mask = newMask;
    }

    private long put(long p, byte[] bytes) {
        int done = 0;
        while (done < bytes.length) {
            int at = (int) ((p + done) & mask);
            int n = Math.min(bytes.length - done, ring.length - at);
            System.arraycopy(bytes, done, ring, at, n);
            done += n;
        }
        return p + bytes.length;
    }

    private byte[] get(long p, int length) {
        byte[] bytes = new byte[length];
        int done = 0;
        while (done < length) {
            int at = (int) ((p + done) & mask);
            int n = Math.min(length - done, ring.length - at);
            System.arraycopy(ring, at, bytes, done, n);
            done += n;
        }
        return bytes;
    }

    private long putInt(long p, int v) {
        for (int i = 3; i >= 0; i--) {
            ring[(int) (p++ & mask)] = (byte) (v >>> (i * 8));
        }
        return p;
    }

    private long putLong(long p, long v) {
        for (int i = 7; i >= 0; i--) {
            ring[(int) (p++ & mask)] = (byte) (v >>> (i * 8));
        }
        return p;
    }

    private int getInt(long p) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | (ring[(int) (p++ & mask)] & 0xff);
        }
        return v;
    }

    private long getLong(long p) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (ring[(int) (p++ & mask)] & 0xff);
        }
        return v;
    }
}
