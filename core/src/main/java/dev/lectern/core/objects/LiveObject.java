package dev.lectern.core.objects;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One object being written ({@link LiveObjects}): one writer appends, any number of readers read what is there by
 * offset and ask to be told when more comes. An object lives in memory while it is at most {@link #MEMORY_BYTES}
 * (a sentence's clip: writing it costs no I/O, and it is stored with one write); one that grows past that moves to a
 * spool file, never whole in memory, keeping its first {@link #MEMORY_BYTES} in memory too. Objects are capped at
 * {@code maxBytes} (a write beyond fails the object). {@link #complete} stores the object and forgets it; a spool file
 * is deleted once the writer is done and the last reader has let go. Creating one does no I/O, so its URL can be
 * handed out as soon as the first bytes arrive: a reader that comes first waits for them. {@link #tryWriteInMemory}
 * and {@link #readMemory} never block; {@link #write}, {@link #read} (past the memory part) and {@link #complete} may
 * (file I/O): call them off event loops. State changes are serialized on this object; waiters run on the writer's
 * thread.
 */
public final class LiveObject {
    /** How much of the start of an object readers can take from memory (without a disk read): the first seconds. */
    public static final int MEMORY_BYTES = 256 * 1024;

    /** Where the object is: still growing, complete (length final), or failed (readers stop where they are). */
    public enum State { WRITING, COMPLETE, FAILED }

    private final String key;
    private final Path spool;
    private final long maxBytes;
    private final LiveObjects owner;
    /**
     * Opened by the first write past {@link #MEMORY_BYTES} (the memory part is copied in first); null while the object
     * is in memory only. Set before any length beyond the memory part is published.
     */
    private FileChannel file;
    private long length;
    private State state = State.WRITING;
    private int readers;
    private boolean writerDone;
    private boolean closed;
    private List<Runnable> waiters = new ArrayList<>();
    /** The first {@link #MEMORY_BYTES} bytes, also kept in memory: append-only, so a region once written never changes. */
    private byte[] memory = new byte[0];
    private int memoryLength;

    LiveObject(String key, Path spool, long maxBytes, LiveObjects owner) {
        this.key = key;
        this.spool = spool;
        this.maxBytes = maxBytes;
        this.owner = owner;
    }

    /**
     * The spool file, created when the object outgrows memory, with what memory held copied in (by the one writer,
     * whose writes are all that changes the memory part; readers read below a published length, from memory first).
     */
    private FileChannel file() {
        FileChannel f;
        byte[] held;
        int heldLength;
        synchronized (this) {
            f = file;
            held = memory;
            heldLength = memoryLength;
        }
        if (f != null) {
            return f;
        }
        try {
            if (!Files.isDirectory(spool.getParent())) {
                Files.createDirectories(spool.getParent());
            }
            f = FileChannel.open(spool, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            ByteBuffer b = ByteBuffer.wrap(held, 0, heldLength);
            long pos = 0;
            while (b.hasRemaining()) {
                pos += f.write(b, pos);
            }
        } catch (IOException e) {
            if (f != null) {
                try {
                    f.close();
                } catch (IOException ignored) {
                    // the spool sweep removes it
                }
            }
            throw new UncheckedIOException("cannot create spool file for " + key, e);
        }
        synchronized (this) {
            file = f;
        }
        return f;
    }

    public String key() {
        return key;
    }

    public synchronized long length() {
        return length;
    }

    public synchronized State state() {
        return state;
    }

    /**
     * Appends bytes without blocking when the object stays in memory ({@link #MEMORY_BYTES} at most, no spool file
     * yet): true when they were appended, false when they need the disk (nothing appended: {@link #write} them, off
     * the event loop). Throws as {@link #write} for an object no longer being written.
     */
    public boolean tryWriteInMemory(byte[] bytes, int offset, int count) {
        List<Runnable> wake;
        synchronized (this) {
            if (state != State.WRITING) {
                throw new IllegalStateException("object " + key + " is no longer being written");
            }
            if (file != null || length + count > Math.min(MEMORY_BYTES, maxBytes)) {
                return false;
            }
            keepInMemory(bytes, offset, count);
            length += count;
            wake = takeWaiters();
        }
        wake.forEach(Runnable::run);
        return true;
    }

    /** Appends bytes; fails the object (and throws) when it would pass its cap or the disk refuses. May block. */
    public void write(byte[] bytes, int offset, int count) {
        if (count == 0 || tryWriteInMemory(bytes, offset, count)) {
            return;
        }
        long at;
        synchronized (this) {
            if (state != State.WRITING) {
                throw new IllegalStateException("object " + key + " is no longer being written");
            }
            at = length;
        }
        if (at + count > maxBytes) {
            fail("larger than " + maxBytes + " bytes");
            throw new IllegalStateException("object " + key + " is larger than " + maxBytes + " bytes");
        }
        try {
            FileChannel f = file();
            ByteBuffer b = ByteBuffer.wrap(bytes, offset, count);
            long pos = at;
            while (b.hasRemaining()) {
                pos += f.write(b, pos);
            }
        } catch (UncheckedIOException e) {
            fail("spool file could not be created");
            throw e;
        } catch (IOException e) {
            fail("spool write failed");
            throw new UncheckedIOException("cannot write object " + key, e);
        }
        List<Runnable> wake;
        synchronized (this) {
            if (state != State.WRITING) {
                return;
            }
            keepInMemory(bytes, offset, count);
            length = at + count;
            wake = takeWaiters();
        }
        wake.forEach(Runnable::run);
    }

    private void keepInMemory(byte[] bytes, int offset, int count) {
        int n = (int) Math.min(count, MEMORY_BYTES - (long) memoryLength);
        if (n <= 0 || memoryLength != length) {
            return;
        }
        if (memoryLength + n > memory.length) {
            // a new array: readers may hold views of the old one, whose written region stays as it was
            memory = java.util.Arrays.copyOf(memory, Math.min(MEMORY_BYTES, Math.max(memoryLength + n,
                    memory.length * 2)));
        }
        System.arraycopy(bytes, offset, memory, memoryLength, n);
        memoryLength += n;
    }

    /**
     * Up to {@code max} bytes at {@code position} from memory, as a read-only view (no copy, no disk); null when that
     * part of the object is not in memory (past {@link #MEMORY_BYTES}, or not yet written): {@link #read} it instead.
     */
    public synchronized ByteBuffer readMemory(long position, int max) {
        if (position >= memoryLength) {
            return null;
        }
        int n = (int) Math.min(max, memoryLength - position);
        return ByteBuffer.wrap(memory, (int) position, n).slice().asReadOnlyBuffer();
    }

    /**
     * The writer is done: the length is final, waiting readers are told, and the object is stored in the
     * {@link ObjectStore} (from memory, or a copy of the spool file) and forgotten by {@link LiveObjects}. Blocks.
     */
    public void complete() {
        List<Runnable> wake;
        byte[] whole = null;
        synchronized (this) {
            if (state != State.WRITING) {
                throw new IllegalStateException("object " + key + " is no longer being written");
            }
            state = State.COMPLETE;
            wake = takeWaiters();
            if (file == null) { // never outgrew memory: the memory part is the whole object
                whole = java.util.Arrays.copyOf(memory, memoryLength);
            }
        }
        wake.forEach(Runnable::run);
        try {
            if (whole != null) {
                owner.store().put(key, whole);
            } else {
                owner.store().put(key, spool);
            }
        } finally {
            owner.stored(this);
            writerDone();
        }
    }

    /** The writer failed: readers stop where they are; nothing is stored. */
    public void fail(String reason) {
        List<Runnable> wake;
        synchronized (this) {
            if (state != State.WRITING) {
                return;
            }
            state = State.FAILED;
            wake = takeWaiters();
        }
        owner.stored(this);
        wake.forEach(Runnable::run);
        writerDone();
    }

    /** A reader starts: false when the spool is already gone (the object is stored, or failed). */
    public synchronized boolean open() {
        if (closed) {
            return false;
        }
        readers++;
        return true;
    }

    /** A reader is done (each successful {@link #open} once). */
    public void release() {
        synchronized (this) {
            readers--;
        }
        maybeClose();
    }

    /** Reads up to {@code dst.remaining()} bytes at {@code position} (below {@link #length}); -1 at the end. */
    public int read(long position, ByteBuffer dst) {
        FileChannel f;
        synchronized (this) {
            f = file;
            if (position < memoryLength) {
                int n = (int) Math.min(dst.remaining(), memoryLength - position);
                dst.put(memory, (int) position, n);
                return n;
            }
        }
        try {
            return f == null ? -1 : f.read(dst, position);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read object " + key, e);
        }
    }

    /**
     * Runs {@code wake} once, when the object is longer than {@code seen} bytes or no longer being written, on the
     * thread that changed it; false (and {@code wake} not kept) when that is already so: read again now.
     */
    public synchronized boolean whenLongerThan(long seen, Runnable wake) {
        if (length > seen || state != State.WRITING) {
            return false;
        }
        waiters.add(wake);
        return true;
    }

    private List<Runnable> takeWaiters() {
        List<Runnable> w = waiters;
        waiters = w.isEmpty() ? w : new ArrayList<>();
        return w;
    }

    private void writerDone() {
        synchronized (this) {
            writerDone = true;
        }
        maybeClose();
    }

    private void maybeClose() {
        synchronized (this) {
            if (closed || !writerDone || readers > 0) {
                return;
            }
            closed = true;
        }
        FileChannel f;
        synchronized (this) {
            f = file;
        }
        try {
            if (f != null) {
                f.close();
                Files.deleteIfExists(spool);
            }
        } catch (IOException e) {
            // LiveObjects.sweepSpool removes it at the next start
        }
    }
}
