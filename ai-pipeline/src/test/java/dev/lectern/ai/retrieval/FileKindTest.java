package dev.lectern.ai.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.ai.testing.Documents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileKindTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws Exception {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void theExtensionPicksTheKindAndTheContentMustAgree() throws Exception {
        Path pdf = Documents.pdf(dir.resolve("a.pdf"), List.of("hello"));
        Path docx = Documents.docx(dir.resolve("a.docx"), List.of("hello"));
        assertThat(FileKind.fromName("Notes.PDF")).contains(FileKind.PDF);
        assertThat(FileKind.fromName("photo.jpeg")).contains(FileKind.JPEG);
        assertThat(FileKind.fromName("photo.jpg")).contains(FileKind.JPEG);
        assertThat(FileKind.fromName("setup.exe")).isEmpty();
        assertThat(FileKind.fromName("noextension")).isEmpty();
        assertThat(FileKind.fromName("trailing.")).isEmpty();
        assertThat(FileKind.PDF.matches(pdf)).isTrue();
        assertThat(FileKind.DOCX.matches(docx)).isTrue();
        assertThat(FileKind.PDF.matches(docx)).as("a zip named .pdf").isFalse();
        assertThat(FileKind.DOCX.matches(pdf)).isFalse();
        Path exe = write("x.pdf", new byte[] {'M', 'Z', (byte) 0x90, 0, 3, 0, 0, 0});
        assertThat(FileKind.PDF.matches(exe)).as("an executable named .pdf").isFalse();
        Path plainZip = dir.resolve("plain.zip");
        try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(plainZip))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("readme.txt"));
            zip.write("hi".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(FileKind.DOCX.matches(plainZip)).as("a zip without word/document.xml").isFalse();
    }

    @Test
    void magicBytesOfImagesAndAudio() throws Exception {
        assertThat(FileKind.PNG.matches(write("a.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0})))
                .isTrue();
        assertThat(FileKind.JPEG.matches(write("a.jpg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0})))
                .isTrue();
        assertThat(FileKind.WAV.matches(write("a.wav", "RIFF\0\0\0\0WAVEfmt ".getBytes(StandardCharsets.US_ASCII))))
                .isTrue();
        assertThat(FileKind.MP3.matches(write("a.mp3", "ID3\u0004\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1))))
                .isTrue();
        assertThat(FileKind.MP3.matches(write("b.mp3", new byte[] {(byte) 0xFF, (byte) 0xFB, (byte) 0x90, 0})))
                .isTrue();
        assertThat(FileKind.M4A.matches(write("a.m4a", "\0\0\0\u0020ftypM4A \0\0".getBytes(StandardCharsets.ISO_8859_1))))
                .isTrue();
        assertThat(FileKind.PNG.matches(write("c.png", "GIF89a".getBytes(StandardCharsets.US_ASCII)))).isFalse();
        assertThat(FileKind.WAV.matches(write("c.wav", "RIFF\0\0\0\0AVI ".getBytes(StandardCharsets.US_ASCII))))
                .isFalse();
        assertThat(FileKind.MP3.matches(write("c.mp3", new byte[] {1, 2, 3}))).isFalse();
    }

    @Test
    void textMustBeValidUtf8WithoutNuls() throws Exception {
        assertThat(FileKind.TXT.matches(write("a.txt", "Grüße, 你好 — ok".getBytes(StandardCharsets.UTF_8)))).isTrue();
        assertThat(FileKind.MD.matches(write("e.md", new byte[0]))).isTrue();
        assertThat(FileKind.TXT.matches(write("b.txt", new byte[] {'a', 0, 'b'}))).isFalse();
        assertThat(FileKind.TXT.matches(write("c.txt", new byte[] {'a', (byte) 0xC3}))).as("truncated sequence")
                .isFalse();
        assertThat(FileKind.MD.matches(write("d.md", new byte[] {(byte) 0xFF, (byte) 0xFE, 'a'}))).isFalse();
    }

    @Test
    void namesAreSanitised() {
        assertThat(FileNames.sanitize("../../etc/passwd")).isEqualTo("passwd");
        assertThat(FileNames.sanitize("/absolute/path/notes.pdf")).isEqualTo("notes.pdf");
        assertThat(FileNames.sanitize("C:\\Users\\me\\..\\notes.pdf")).isEqualTo("notes.pdf");
        assertThat(FileNames.sanitize("bad\u0000na\u0007me\r\n.pdf")).isEqualTo("badname.pdf");
        assertThat(FileNames.sanitize("evil\u202Efdp.exe")).as("bidi override removed").isEqualTo("evilfdp.exe");
        assertThat(FileNames.sanitize("..hidden.txt")).isEqualTo("hidden.txt");
        assertThat(FileNames.sanitize("a<b>c:d|e?.md")).isEqualTo("a_b_c_d_e_.md");
        assertThat(FileNames.sanitize("Cafe\u0301 übung 講義.pdf")).isEqualTo("Café übung 講義.pdf");
        assertThat(FileNames.sanitize("../")).isEqualTo("file");
        assertThat(FileNames.sanitize(null)).isEqualTo("file");
        String longName = "x".repeat(5000) + ".pdf";
        String s = FileNames.sanitize(longName);
        assertThat(s).hasSize(FileNames.MAX_CHARS).endsWith(".pdf");
        String emoji = "😀".repeat(300) + ".txt";
        String e = FileNames.sanitize(emoji);
        assertThat(e.codePointCount(0, e.length())).isEqualTo(FileNames.MAX_CHARS);
        assertThat(e).endsWith(".txt");
    }
}
