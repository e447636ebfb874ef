package dev.lectern.signaling.socketio.internal;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events sent on the recoverable sockets of one server, kept for replay as bytes in a log of fixed-size segments
 * rather than as objects per socket: events kept as objects for the replay window survive several young collections
 * and are copied by each, and a segment on the heap would be too. The segments are direct buffers, which no collector
 * copies or scans.
 *
 * <p>Each entry links to the previous entry of the same socket, so a socket holds one position. Positions only grow:
 * one that points before the oldest segment still kept is recognised as gone. A segment is dropped once its newest
 * entry is older than the window ({@link #expire}), or, when the log holds {@code maxBytes}, to make room for new
 * entries: a client that missed an entry no longer kept is refused recovery and connects afresh, as the protocol
 * allows. Growing takes one more segment and shrinking drops one (its memory is given back at once, or kept as one
 * of two spares, so a log of steady size allocates nothing): nothing is ever copied or allocated in bulk, so the log
 * never stalls the event loops that write to it. A log that is simply dropped gives its segments back when it is
 * collected: they come from {@link #SEGMENTS}, whose buffers a release frees at once and the collector frees
 * otherwise, and which leaves them out of leak detection for that reason.
 *
 * <p>Entry layout: total length (int), previous entry of the socket (long, -1 for none), offset (long), time (long),
 * text length (int), text (UTF-8), attachment count (int), then each attachment as length (int) and bytes. An entry
 * never spans two segments; one larger than a segment is not kept.
 */
public final class ReplayLog {
    private static final Logger logger = LoggerFactory.getLogger(ReplayLog.class);
    public static final int SEGMENT_BYTES = 256 * 1024;
    private static final int HEADER = 4 + 8 + 8 + 8 + 4;
    private static final int SPARES = 2;
    /** Direct buffers with a cleaner (freed by release, or by the collector); not leak-tracked. */
    private static final ByteBufAllocator SEGMENTS = new UnpooledByteBufAllocator(true, true, false);

    private final int segmentBytes;
    private final int shift;
    private final long mask;
    private final long windowNanos;
    /** The kept segments, oldest at {@code first % slots.length}. */
    private final Segment[] slots;
    private final ArrayDeque<ByteBuf> spare = new ArrayDeque<>(SPARES);
    private long first;
    private int count;
    /** The next write position. */
    private long head;
    private long lastExpiry;
    private boolean expiredBefore;
    private boolean outOfMemoryLogged;

    private static final class Segment {
        final ByteBuf bytes;
        long newestNanos;

        Segment(ByteBuf bytes) {
            this.bytes = bytes;
        }
    }

    /**
     * @param maxBytes the most bytes kept, in segments of {@link #SEGMENT_BYTES} (smaller below 1 MiB: at least four)
     * @param windowMillis how long entries are kept when there is room
     */
    public ReplayLog(long maxBytes, long windowMillis) {
        long directLimit = directMemoryLimit();
        if (directLimit > 0 && maxBytes > directLimit / 2) { // leave the other half to the rest of the process
            logger.warn("signaling.recoveryBufferBytes {} is more than half of the JVM's direct-memory limit {}:"
                    + " the replay log keeps at most {} bytes", maxBytes, directLimit, directLimit / 2);
            maxBytes = directLimit / 2;
        }
        // at least four segments, so that starting a new one never drops more than a quarter
        this.segmentBytes = (int) Math.min(SEGMENT_BYTES, Math.max(1024, Long.highestOneBit(maxBytes) / 4));
        this.shift = Integer.numberOfTrailingZeros(segmentBytes);
        this.mask = segmentBytes - 1;
        this.slots = new Segment[(int) Math.max(1, Math.min(maxBytes / segmentBytes, 1 << 16))];
        this.windowNanos = windowMillis * 1_000_000L;
    }

    /**
     * The JVM's limit on direct buffers ({@code -XX:MaxDirectMemorySize}; without it, as the JDK does, the heap's
     * maximum size).
     */
    static long directMemoryLimit() {
        try {
            long configured = Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxDirectMemorySize").getValue());
            if (configured > 0) {
                return configured;
            }
        } catch (RuntimeException e) { // not a HotSpot JVM
            logger.debug("replay log: MaxDirectMemorySize unknown ({}); assuming the heap's maximum", e.toString());
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** Direct memory held by the segments of every log in this JVM, spares included. */
    static long directBytesInUse() {
        return ((UnpooledByteBufAllocator) SEGMENTS).metric().usedDirectMemory();
    }

    /** A kept event, decoded again for a replay. */
    public record Entry(long offset, String text, List<byte[]> attachments) {}

    /**
     * Appends one event of a socket whose latest entry is at {@code previous} (-1 for none); returns the new entry's
     * position, or -1 when the event is larger than a segment (it cannot be kept).
     */
    public synchronized long append(long previous, long offset, String text, List<byte[]> attachments, long nowNanos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        long length = HEADER + (long) utf8.length + 4;
        for (byte[] a : attachments) {
            length += 4 + a.length;
        }
        if (length > segmentBytes) {
            return -1;
        }
        expire(nowNanos);
        if ((count == 0 || (head >>> shift) != first + count - 1 || (head & mask) + length > segmentBytes)
                && !startSegment()) {
            return -1;
        }
        Segment segment = slots[(int) ((first + count - 1) % slots.length)];
        segment.newestNanos = nowNanos;
        ByteBuf b = segment.bytes;
        long at = head;
        int p = (int) (at & mask);
        b.setInt(p, (int) length).setLong(p + 4, previous).setLong(p + 12, offset).setLong(p + 20, nowNanos)
                .setInt(p + 28, utf8.length).setBytes(p + HEADER, utf8);
        p += HEADER + utf8.length;
        b.setInt(p, attachments.size());
        p += 4;
        for (byte[] a : attachments) {
            b.setInt(p, a.length).setBytes(p + 4, a);
            p += 4 + a.length;
        }
        head = at + length;
        return at;
    }

    /** Opens the next segment; false when there is no memory for one (nothing held, the direct limit reached). */
    private boolean startSegment() {
        long index = count == 0 ? (head + mask) >>> shift : first + count;
        if (count == slots.length) {
            dropOldest(); // full: the oldest entries go, whatever their age
        }
        ByteBuf bytes = spare.poll();
        if (bytes == null) {
            try {
                bytes = SEGMENTS.directBuffer(segmentBytes, segmentBytes);
            } catch (OutOfMemoryError e) { // the JVM's direct-memory limit, shared with the rest of the process
                if (!outOfMemoryLogged) {
                    outOfMemoryLogged = true;
                    logger.warn("replay log: no direct memory for another segment ({} held); older events make room"
                            + " (raise -XX:MaxDirectMemorySize or lower signaling.recoveryBufferBytes)", count);
                }
                if (count == 0) {
                    return false;
                }
                dropOldest();
                bytes = spare.poll();
            }
        }
        if (count == 0) {
            first = index;
        }
        slots[(int) (index % slots.length)] = new Segment(bytes);
        count++;
        head = index << shift;
        return true;
    }

    private void dropOldest() {
        int slot = (int) (first % slots.length);
        if (spare.size() < SPARES) {
            spare.add(slots[slot].bytes);
        } else {
            slots[slot].bytes.release(); // now, not when a collection finds it unreachable
        }
        slots[slot] = null;
        first++;
        count--;
    }

    /**
     * The {@code count} events of a socket ending with the one at {@code latest}, oldest first; null when one of them
     * is no longer kept.
     */
    public synchronized List<Entry> read(long latest, int n) {
        List<Entry> entries = new ArrayList<>(n);
        long p = latest;
        long expectedOffset = -1;
        for (int i = 0; i < n; i++) {
            if (count == 0 || p < (first << shift) || p >= head) {
                return null;
            }
            ByteBuf b = slots[(int) ((p >>> shift) % slots.length)].bytes;
            int at = (int) (p & mask);
            long previous = b.getLong(at + 4);
            long offset = b.getLong(at + 12);
            if (expectedOffset >= 0 && offset != expectedOffset) {
                return null; // a socket's offsets are consecutive: anything else is not its entry
            }
            int textLength = b.getInt(at + 28);
            int q = at + HEADER;
            byte[] utf8 = new byte[textLength];
            b.getBytes(q, utf8);
            String text = new String(utf8, StandardCharsets.UTF_8);
            q += textLength;
            int attachments = b.getInt(q);
            q += 4;
            List<byte[]> binary = attachments == 0 ? List.of() : new ArrayList<>(attachments);
            for (int k = 0; k < attachments; k++) {
                int size = b.getInt(q);
                byte[] a = new byte[size];
                b.getBytes(q + 4, a);
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
    public synchronized void expire(long nowNanos) {
        while (count > 0 && nowNanos - slots[(int) (first % slots.length)].newestNanos > windowNanos) {
            dropOldest();
        }
    }

    /** As {@link #expire}, at most once a second: for callers that run often and may find the log idle. */
    public void expireNow(long nowNanos) {
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
    public synchronized long bytesHeld() {
        return (long) count * segmentBytes;
    }
}
