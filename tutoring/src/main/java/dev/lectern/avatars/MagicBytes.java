package dev.lectern.avatars;

/**
 * What a file is, from its first bytes rather than from a name or a {@code Content-Type} a client chose: the kinds of
 * image an avatar's face may be and the kinds of audio its voice sample may be.
 */
public final class MagicBytes {
    private MagicBytes() {}

    /** A recognised kind: its media type and the file extension it is stored under. */
    public record Kind(String mediaType, String extension) {}

    public static final Kind PNG = new Kind("image/png", "png");
    public static final Kind JPEG = new Kind("image/jpeg", "jpg");
    public static final Kind WAV = new Kind("audio/wav", "wav");
    public static final Kind MP3 = new Kind("audio/mpeg", "mp3");
    public static final Kind M4A = new Kind("audio/mp4", "m4a");

    /** PNG or JPEG, or null. */
    public static Kind image(byte[] head) {
        if (startsWith(head, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return PNG;
        }
        if (startsWith(head, 0, 0xFF, 0xD8, 0xFF)) {
            return JPEG;
        }
        return null;
    }

    /** WAV (RIFF/WAVE), MP3 (an ID3 tag or an MPEG audio frame) or M4A (an ISO media {@code ftyp} box), or null. */
    public static Kind audio(byte[] head) {
        if (startsWith(head, 0, 'R', 'I', 'F', 'F') && startsWith(head, 8, 'W', 'A', 'V', 'E')) {
            return WAV;
        }
        if (startsWith(head, 0, 'I', 'D', '3')
                || (head.length >= 2 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xE0) == 0xE0
                    && (head[1] & 0x06) != 0)) { // frame sync, and a layer (00 is reserved)
            return MP3;
        }
        if (startsWith(head, 4, 'f', 't', 'y', 'p')) {
            return M4A;
        }
        return null;
    }

    private static boolean startsWith(byte[] b, int offset, int... expected) {
        if (b == null || b.length < offset + expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if ((b[offset + i] & 0xFF) != expected[i]) {
                return false;
            }
        }
        return true;
    }
}
