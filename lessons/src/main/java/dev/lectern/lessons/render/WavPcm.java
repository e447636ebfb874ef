package dev.lectern.lessons.render;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A PCM WAV clip held in memory: its format and where its samples are. Reads what espeak-ng writes to stdout (whose
 * RIFF and data sizes are 0x7FFFFFFF placeholders: the samples then run to the end), and writes clips of one format
 * back to back as one WAV file.
 */
final class WavPcm {
    /** The sample format; clips join only when theirs are equal. */
    record Format(int channels, int sampleRate, int bitsPerSample) {
        int blockAlign() {
            return channels * bitsPerSample / 8;
        }
    }

    private final Format format;
    private final byte[] bytes;
    private final int dataOffset;
    private final int dataLength;

    private WavPcm(Format format, byte[] bytes, int dataOffset, int dataLength) {
        this.format = format;
        this.bytes = bytes;
        this.dataOffset = dataOffset;
        this.dataLength = dataLength;
    }

    Format format() {
        return format;
    }

    long frames() {
        return dataLength / format.blockAlign();
    }

    double seconds() {
        return (double) frames() / format.sampleRate();
    }

    /** The clip when {@code b} is a PCM WAV file (8/16/24/32-bit integer samples), else empty. */
    static Optional<WavPcm> parse(byte[] b) {
        if (b.length < 12 || !tag(b, 0, "RIFF") || !tag(b, 8, "WAVE")) {
            return Optional.empty();
        }
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        Format format = null;
        int pos = 12;
        while (pos + 8 <= b.length) {
            long size = Integer.toUnsignedLong(buf.getInt(pos + 4));
            int body = pos + 8;
            if (tag(b, pos, "fmt ")) {
                if (size < 16 || body + 16 > b.length) {
                    return Optional.empty();
                }
                int tagValue = Short.toUnsignedInt(buf.getShort(body));
                int channels = Short.toUnsignedInt(buf.getShort(body + 2));
                int rate = buf.getInt(body + 4);
                int bits = Short.toUnsignedInt(buf.getShort(body + 14));
                if (tagValue != 1 || channels < 1 || channels > 8 || rate < 8000 || rate > 192_000
                        || (bits != 8 && bits != 16 && bits != 24 && bits != 32)) {
                    return Optional.empty();
                }
                format = new Format(channels, rate, bits);
            } else if (tag(b, pos, "data")) {
                if (format == null) {
                    return Optional.empty();
                }
                long available = b.length - body;
                long length = Math.min(size, available); // a streamed WAV's placeholder size runs to the end
                length -= length % format.blockAlign();
                return Optional.of(new WavPcm(format, b, body, (int) length));
            }
            long next = body + size + (size & 1);
            if (next > b.length) {
                return Optional.empty();
            }
            pos = (int) next;
        }
        return Optional.empty();
    }

    private static boolean tag(byte[] b, int at, String tag) {
        for (int i = 0; i < 4; i++) {
            if (b[at + i] != tag.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Writes {@code clips} (all of one format) back to back as one WAV file. */
    static void write(Path out, List<WavPcm> clips) throws IOException {
        Format f = clips.get(0).format;
        long data = 0;
        for (WavPcm c : clips) {
            if (!c.format.equals(f)) {
                throw new IllegalArgumentException("clips of different formats: " + f + " and " + c.format);
            }
            data += c.dataLength;
        }
        if (data > Integer.MAX_VALUE - 44) {
            throw new IOException("narration too long for one WAV file");
        }
        ByteBuffer h = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
        h.put("RIFF".getBytes(US_ASCII)).putInt((int) (36 + data))
                .put("WAVEfmt ".getBytes(US_ASCII)).putInt(16)
                .putShort((short) 1).putShort((short) f.channels()).putInt(f.sampleRate())
                .putInt(f.sampleRate() * f.blockAlign()).putShort((short) f.blockAlign())
                .putShort((short) f.bitsPerSample())
                .put("data".getBytes(US_ASCII)).putInt((int) data);
        try (OutputStream o = Files.newOutputStream(out)) {
            o.write(h.array());
            for (WavPcm c : clips) {
                o.write(c.bytes, c.dataOffset, c.dataLength);
            }
        }
    }
}
