package dev.lectern.ai.retrieval;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The file types an upload may have. The name's extension picks the kind, and the content must agree with it (magic
 * bytes, or valid UTF-8 without NULs for text): a {@code .pdf} that is really an executable is refused.
 */
public enum FileKind {
    PDF("pdf", Category.DOCUMENT, "pdf"),
    DOCX("docx", Category.DOCUMENT, "docx"),
    TXT("txt", Category.DOCUMENT, "txt"),
    MD("md", Category.DOCUMENT, "md"),
    PNG("png", Category.IMAGE, "png"),
    JPEG("jpg", Category.IMAGE, "jpg", "jpeg"),
    WAV("wav", Category.AUDIO, "wav"),
    MP3("mp3", Category.AUDIO, "mp3"),
    M4A("m4a", Category.AUDIO, "m4a");

    public enum Category { DOCUMENT, IMAGE, AUDIO }

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private final String extension;
    private final Category category;
    private final String[] extensions;

    FileKind(String extension, Category category, String... extensions) {
        this.extension = extension;
        this.category = category;
        this.extensions = extensions;
    }

    /** The canonical extension, used in object keys and as {@code file_type}. */
    public String extension() {
        return extension;
    }

    public Category category() {
        return category;
    }

    /** The kind a file name claims by its extension, if it is one we accept. */
    public static Optional<FileKind> fromName(String filename) {
        int dot = filename.lastIndexOf('.');
        if (dot < 0 || dot == filename.length() - 1) {
            return Optional.empty();
        }
        String ext = filename.substring(dot + 1).toLowerCase(Locale.ROOT);
        for (FileKind k : values()) {
            if (Arrays.asList(k.extensions).contains(ext)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** Whether the file's content is what this kind says (reads the head, the zip directory, or the whole text). */
    public boolean matches(Path file) {
        try {
            byte[] head = head(file, 16);
            return switch (this) {
                case PDF -> startsWith(head, "%PDF-".getBytes(StandardCharsets.US_ASCII));
                case DOCX -> startsWith(head, new byte[] {'P', 'K', 3, 4}) && hasEntry(file, "word/document.xml");
                case PNG -> startsWith(head, PNG_MAGIC);
                case JPEG -> head.length >= 3 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8
                        && (head[2] & 0xFF) == 0xFF;
                case WAV -> head.length >= 12 && ascii(head, 0, "RIFF") && ascii(head, 8, "WAVE");
                case MP3 -> startsWith(head, "ID3".getBytes(StandardCharsets.US_ASCII))
                        || (head.length >= 2 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xE0) == 0xE0);
                case M4A -> head.length >= 12 && ascii(head, 4, "ftyp");
                case TXT, MD -> isUtf8Text(file);
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] head(Path file, int n) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        }
    }

    private static boolean startsWith(byte[] head, byte[] magic) {
        return head.length >= magic.length && Arrays.equals(head, 0, magic.length, magic, 0, magic.length);
    }

    private static boolean ascii(byte[] head, int at, String s) {
        return startsWith(Arrays.copyOfRange(head, at, head.length), s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Reads only the zip's central directory: nothing is inflated here. */
    private static boolean hasEntry(Path file, String name) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return zip.getEntry(name) != null;
        } catch (ZipException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Valid UTF-8 from start to end, without NUL characters. */
    static boolean isUtf8Text(Path file) throws IOException {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        char[] buf = new char[8192];
        try (Reader r = new java.io.InputStreamReader(Files.newInputStream(file), decoder)) {
            int n;
            while ((n = r.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == 0) {
                        return false;
                    }
                }
            }
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
