package dev.lectern.signaling.socketio;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The events sent on the recoverable sockets of one server, kept for replay as bytes in a log of fixed-size segments
 * rather than as objects per socket. At thousands of events a second, events kept as objects for the replay window
 * survive several young collections and are copied by each (G1's pause grows with what survives, and the relay's tail
 * latency with it); bytes in a few long-lived arrays are not copied again and their writes need no GC barrier.
 *
 * <p>Each entry links to the previous entry of the same socket, so a socket holds one position. Positions only grow:
 * one that points before the oldest segment still kept is recognised as gone. A segment is dropped once its newest
 * entry is older than the window ({@link #expire}), or, when the log holds {@code maxBytes}, to make room for new
 * entries: a client that missed an entry no longer kept is refused recovery and connects afresh, as the protocol
 * allows. Growing takes one more segment and shrinking drops one: nothing is ever copied or allocated in bulk, so
 * the log never stalls the event loops that write to it.
 *
 * <p>Entry layout: total length (int), previous entry of the socket (long, -1 for none), offset (long), time (long),
 * text length (int), text (UTF-8), attachment count (int), then each attachment as length (int) and bytes. An entry
 * never spans two segments; one larger than a segment is not kept.
 */
final class ReplayLog {
    static final int SEGMENT_BYTES = 256 * 1024; // below G1's humongous threshold for any heap of 1 GiB or more
    private static final int HEADER = 4 + 8 + 8 + 8 + 4;
    private static final int SPARES = 2;

    private final int segmentBytes;
    private final int shift;
    private final long mask;
    private final long windowNanos;
    /** The kept segments, oldest at {@code first % slots.length}. */
    private final Segment[] slots;
    private final ArrayDeque<byte[]> spare = new ArrayDeque<>(SPARES);
    private long first;
    private int count;
    /** The next write position. */
    private long head;
    private long lastExpiry;
    private boolean expiredBefore;

    private static final class Segment {
        final byte[] bytes;
        long newestNanos;

        Segment(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    /**
     * @param maxBytes the most bytes kept, in segments of {@link #SEGMENT_BYTES} (smaller below 1 MiB: at least four)
     * @param windowMillis how long entries are kept when there is room
     */
    ReplayLog(long maxBytes, long windowMillis) {
        // at least four segments, so that starting a new one never drops more than a quarter
        this.segmentBytes = (int) Math.min(SEGMENT_BYTES, Math.max(1024, Long.highestOneBit(maxBytes) / 4));
        this.shift = Integer.numberOfTrailingZeros(segmentBytes);
        this.mask = segmentBytes - 1;
        this.slots = new Segment[(int) Math.max(1, Math.min(maxBytes / segmentBytes, 1 << 16))];
        this.windowNanos = windowMillis * 1_000_000L;
    }

    /** A kept event, decoded again for a replay. */
    record Entry(long offset, String text, List<byte[]> attachments) {}

    /**
     * Appends one event of a socket whose latest entry is at {@code previous} (-1 for none); returns the new entry's
     * position, or -1 when the event is larger than a segment (it cannot be kept).
     */
    synchronized long append(long previous, long offset, String text, List<byte[]> attachments, long nowNanos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        long length = HEADER + (long) utf8.length + 4;
        for (byte[] a : attachments) {
            length += 4 + a.length;
        }
        if (length > segmentBytes) {
            return -1;
        }
        expire(nowNanos);
        if (count == 0 || (head >>> shift) != first + count - 1 || (head & mask) + length > segmentBytes) {
            startSegment();
        }
        Segment segment = slots[(int) ((first + count - 1) % slots.length)];
        segment.newestNanos = nowNanos;
        byte[] b = segment.bytes;
        long at = head;
        int p = (int) (at & mask);
        p = putInt(b, p, (int) length);
        p = putLong(b, p, previous);
        p = putLong(b, p, offset);
        p = putLong(b, p, nowNanos);
        p = putInt(b, p, utf8.length);
        System.arraycopy(utf8, 0, b, p, utf8.length);
        p += utf8.length;
        p = putInt(b, p, attachments.size());
        for (byte[] a : attachments) {
            p = putInt(b, p, a.length);
            System.arraycopy(a, 0, b, p, a.length);
            p += a.length;
        }
        head = at + length;
        return at;
    }

    private void startSegment() {
        long index = count == 0 ? (head + mask) >>> shift : first + count;
        if (count == slots.length) {
            dropOldest(); // full: the oldest entries go, whatever their age
        }
        if (count == 0) {
            first = index;
        }
        byte[] bytes = spare.poll();
        slots[(int) (index % slots.length)] = new Segment(bytes != null ? bytes : new byte[segmentBytes]);
        count++;
        head = index << shift;
    }

    private void dropOldest() {
        int slot = (int) (first % slots.length);
        if (spare.size() < SPARES) {
            spare.add(slots[slot].bytes);
        }
        slots[slot] = null;
        first++;
        count--;
    }

    /**
     * The {@code count} events of a socket ending with the one at {@code latest}, oldest first; null when one of them
     * is no longer kept.
     */
    synchronized List<Entry> read(long latest, int n) {
        List<Entry> entries = new ArrayList<>(n);
        long p = latest;
        long expectedOffset = -1;
        for (int i = 0; i < n; i++) {
            if (count == 0 || p < (first << shift) || p >= head) {
                return null;
            }
            byte[] b = slots[(int) ((p >>> shift) % slots.length)].bytes;
            int at = (int) (p & mask);
            long previous = getLong(b, at + 4);
            long offset = getLong(b, at + 12);
            if (expectedOffset >= 0 && offset != expectedOffset) {
                return null; // a socket's offsets are consecutive: anything else is not its entry
            }
            int textLength = getInt(b, at + 28);
            int q = at + HEADER;
            String text = new String(b, q, textLength, StandardCharsets.UTF_8);
            q += textLength;
            int attachments = getInt(b, q);
            q += 4;
            List<byte[]> binary = attachments == 0 ? List.of() : new ArrayList<>(attachments);
            for (int k = 0; k < attachments; k++) {
                int size = getInt(b, q);
                byte[] a = new byte[size];
                System.arraycopy(b, q + 4, a, 0, size);
                binary.add(a);
                q += 4 + size;
            }
            entries.add(new Entry(offset, text, binary));
            expectedOffset = offset - 1;
            p = previous;
        }
        Collections.reverse(entries);
        return entries;
    }

    /** Drops the segments whose entries are all older than the window; cheap when nothing is due. */
    synchronized void expire(long nowNanos) {
        while (count > 0 && nowNanos - slots[(int) (first % slots.length)].newestNanos > windowNanos) {
            dropOldest();
        }
    }

    /** As {@link #expire}, at most once a second: for callers that run often and may find the log idle. */
    void expireNow(long nowNanos) {
        synchronized (this) {
            if (expiredBefore && nowNanos - lastExpiry < 1_000_000_000L) {
                return; // (nanoTime may be negative: no comparison with an initial 0)
            }
            expiredBefore = true;
            lastExpiry = nowNanos;
        }
        expire(nowNanos);
    }

    /** Bytes held in segments now. */
    synchronized long bytesHeld() {
        return (long) count * segmentBytes;
    }

    private static int putInt(byte[] b, int p, int v) {
        for (int i = 3; i >= 0; i--) {
            b[p++] = (byte) (v >>> (i * 8));
        }
        return p;
    }

    private static int putLong(byte[] b, int p, long v) {
        for (int i = 7; i >= 0; i--) {
            b[p++] = (byte) (v >>> (i * 8));
        }
        return p;
    }

    private static int getInt(byte[] b, int p) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | (b[p + i] & 0xff);
        }
        return v;
    }

    private static long getLong(byte[] b, int p) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[p + i] & 0xff);
        }
        return v;
    }
}
