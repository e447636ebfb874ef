package dev.lectern.lessons.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WavPcmTest {
    @TempDir
    Path dir;

    /** A WAV header as espeak-ng writes it to a pipe: RIFF and data sizes are 0x7FFFFFFF placeholders. */
    static byte[] streamedWav(int rate, int samples, int sizeField) {
        ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(sizeField).put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(sizeField);
        for (int i = 0; i < samples; i++) {
            b.putShort((short) (i % 100));
        }
        return b.array();
    }

    @Test
    void aStreamedClipRunsToTheEndAndClipsJoinExactly() throws Exception {
        WavPcm a = WavPcm.parse(streamedWav(22050, 22050, 0x7FFFFFFF)).orElseThrow();
        WavPcm b = WavPcm.parse(streamedWav(22050, 11025, 11025 * 2)).orElseThrow();
        assertThat(a.seconds()).isEqualTo(1.0);
        assertThat(b.seconds()).isEqualTo(0.5);
        Path out = dir.resolve("n.wav");
        WavPcm.write(out, List.of(a, b));
        byte[] joined = Files.readAllBytes(out);
        assertThat(joined).hasSize(44 + (22050 + 11025) * 2);
        WavPcm back = WavPcm.parse(joined).orElseThrow();
        assertThat(back.seconds()).isEqualTo(1.5);
        assertThat(ByteBuffer.wrap(joined).order(ByteOrder.LITTLE_ENDIAN).getInt(40)).isEqualTo((22050 + 11025) * 2);
    }

    @Test
    void otherFormatsAndDamagedFilesAreNotPcm() {
        assertThat(WavPcm.parse("ID3\u0004fake mp3".getBytes(StandardCharsets.ISO_8859_1))).isEmpty();
        byte[] wav = streamedWav(22050, 10, 20);
        wav[20] = 3; // IEEE float
        assertThat(WavPcm.parse(wav)).isEmpty();
        byte[] truncated = new byte[30];
        System.arraycopy(streamedWav(22050, 10, 20), 0, truncated, 0, 30);
        assertThat(WavPcm.parse(truncated)).isEmpty();
        byte[] hugeChunk = streamedWav(22050, 10, 20);
        ByteBuffer.wrap(hugeChunk).order(ByteOrder.LITTLE_ENDIAN).putInt(16, Integer.MAX_VALUE);
        assertThat(WavPcm.parse(hugeChunk)).isEmpty();
    }
}
