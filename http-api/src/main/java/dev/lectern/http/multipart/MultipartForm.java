package dev.lectern.http.multipart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A multipart form as received: its text fields, and its files waiting in temporary files (spooled while they
 * arrived, never whole in memory). Plain Java: services read it without seeing Netty. {@link #close()} deletes the
 * temporary files (the upload handler does that once the response is decided).
 */
public final class MultipartForm implements AutoCloseable {
    /** One file part: the form field name, the file name as the client sent it (unsanitised!), its bytes on disk. */
    public record FilePart(String name, String filename, String contentType, Path file, long size) {}

    private final Map<String, List<String>> fields = new LinkedHashMap<>();
    private final List<FilePart> files = new ArrayList<>();

    void addField(String name, String value) {
        fields.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }

    void addFile(FilePart part) {
        files.add(part);
    }

    int parts() {
        return files.size() + fields.values().stream().mapToInt(List::size).sum();
    }

    public Optional<String> field(String name) {
        List<String> v = fields.get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    public List<FilePart> files() {
        return files;
    }

    public List<FilePart> files(String name) {
        return files.stream().filter(f -> f.name().equals(name)).toList();
    }

    /** Deletes every spooled file; blocking (files). */
    @Override
    public void close() {
        for (FilePart f : files) {
            try {
                Files.deleteIfExists(f.file());
            } catch (IOException e) {
                // the spool directory is also swept at start-up
            }
        }
    }
}
