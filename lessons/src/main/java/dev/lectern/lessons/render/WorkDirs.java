package dev.lectern.lessons.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Temporary work directories, made beside their target (same file system, so finished files move in atomically)
 * under a dot-name, and removed with everything in them on every way out.
 */
public final class WorkDirs {
    private WorkDirs() {}

    static Path beside(Path target) {
        try {
            Path parent = target.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            return Files.createTempDirectory(parent, "." + target.getFileName() + ".work-");
        } catch (IOException e) {
            throw new RenderException("render_io", "could not create a work directory: " + e.getMessage());
        }
    }

    /** Moves the named files from {@code work} into {@code dir}, each atomically, replacing older ones. */
    static void publish(Path work, Path dir, List<String> names) throws IOException {
        Files.createDirectories(dir);
        for (String name : names) {
            Files.move(work.resolve(name), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Removes {@code dir} and everything in it, as far as it can. */
    public static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(WorkDirs::deleteQuietly);
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: what is left is under a dot-named work directory
        }
    }

    static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort, as above
            }
        }
    }
}
