package dev.lectern.avatars;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MagicBytesTest {
    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void imagesAreKnownByTheirSignatureNotByTheirName() {
        assertThat(MagicBytes.image(bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0))).isEqualTo(MagicBytes.PNG);
        assertThat(MagicBytes.image(bytes(0xFF, 0xD8, 0xFF, 0xE1))).isEqualTo(MagicBytes.JPEG);
        assertThat(MagicBytes.image(bytes(0x89, 'P', 'N', 'G'))).as("cut short").isNull();
        assertThat(MagicBytes.image("GIF89a".getBytes(StandardCharsets.US_ASCII))).isNull();
        assertThat(MagicBytes.image(new byte[0])).isNull();
    }

    @Test
    void audioIsWavMp3OrM4a() {
        assertThat(MagicBytes.audio("RIFF\0\0\0\0WAVEfmt ".getBytes(StandardCharsets.ISO_8859_1)))
                .isEqualTo(MagicBytes.WAV);
        assertThat(MagicBytes.audio("RIFF\0\0\0\0AVI LIST".getBytes(StandardCharsets.ISO_8859_1))).as("AVI").isNull();
        assertThat(MagicBytes.audio("ID3\4\0".getBytes(StandardCharsets.ISO_8859_1))).isEqualTo(MagicBytes.MP3);
        assertThat(MagicBytes.audio(bytes(0xFF, 0xFB, 0x90, 0x64))).as("MPEG-1 layer III frame")
                .isEqualTo(MagicBytes.MP3);
        assertThat(MagicBytes.audio(bytes(0xFF, 0xF9, 0x50))).as("layer bits 00 are reserved (ADTS AAC)").isNull();
        assertThat(MagicBytes.audio("\0\0\0\u0020ftypM4A ".getBytes(StandardCharsets.ISO_8859_1)))
                .isEqualTo(MagicBytes.M4A);
        assertThat(MagicBytes.audio(bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A))).isNull();
    }
}
