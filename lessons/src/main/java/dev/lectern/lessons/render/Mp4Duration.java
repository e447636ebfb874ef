package dev.lectern.lessons.render;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The duration an MP4 file declares in its movie header ({@code moov/mvhd}): what ffmpeg's concat demuxer advances
 * by when it joins files, so captions are shifted by the same amount.
 */
final class Mp4Duration {
    private Mp4Duration() {}

    static double seconds(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long[] moov = find(ch, 0, ch.size(), "moov");
            if (moov == null) {
                throw new IOException("no moov box");
            }
            long[] mvhd = find(ch, moov[0], moov[1], "mvhd");
            if (mvhd == null) {
                throw new IOException("no mvhd box");
            }
            ByteBuffer b = read(ch, mvhd[0], (int) Math.min(32, mvhd[1] - mvhd[0]));
            int version = b.get(0);
            long timescale;
            long duration;
            if (version == 1) {
                timescale = Integer.toUnsignedLong(b.getInt(20));
                duration = b.getLong(24);
            } else {
                timescale = Integer.toUnsignedLong(b.getInt(12));
                duration = Integer.toUnsignedLong(b.getInt(16));
            }
            if (timescale == 0) {
                throw new IOException("mvhd timescale is 0");
            }
            return (double) duration / timescale;
        }
    }

    /** The body [start, end) of the first box of {@code type} among the boxes in [from, to), or null. */
    private static long[] find(FileChannel ch, long from, long to, String type) throws IOException {
        long pos = from;
        while (pos + 8 <= to) {
            ByteBuffer h = read(ch, pos, 16 <= to - pos ? 16 : 8);
            long size = Integer.toUnsignedLong(h.getInt(0));
            int header = 8;
            if (size == 1) {
                size = h.getLong(8);
                header = 16;
            } else if (size == 0) {
                size = to - pos;
            }
            if (size < header || pos + size > to) {
                throw new IOException("malformed box at " + pos);
            }
            String t = new String(new byte[] {h.get(4), h.get(5), h.get(6), h.get(7)},
                    java.nio.charset.StandardCharsets.ISO_8859_1);
            if (t.equals(type)) {
                return new long[] {pos + header, pos + size};
            }
            pos += size;
        }
        return null;
    }

    private static ByteBuffer read(FileChannel ch, long pos, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new IOException("truncated MP4");
            }
        }
        return b.flip();
    }
}
