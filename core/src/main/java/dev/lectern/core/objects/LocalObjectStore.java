package dev.lectern.core.objects;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Objects as files under a root directory ({@code <dataDir>/objects/<bucket>/<name>}), served at
 * {@code <urlPrefix><bucket>/<name>?expires=…&sig=…} by the HTTP layer, which checks the signature with the same
 * {@link UrlSigner}. Writes go to a temporary file first, then move into place.
 */
public final class LocalObjectStore implements ObjectStore {
    private final Path root;
    private final UrlSigner signer;
    private final String urlPrefix;
    private final Clock clock;

    public LocalObjectStore(Path root, UrlSigner signer, String urlPrefix, Clock clock) {
        try {
            this.root = Files.createDirectories(root).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create object directory " + root, e);
        }
        this.signer = signer;
        this.urlPrefix = urlPrefix;
        this.clock = clock;
    }

    public UrlSigner signer() {
        return signer;
    }

    /** The file for a key; throws for a key that is unsafe or would leave the root. */
    public Path path(String key) {
        ObjectStore.checkKey(key);
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("object key leaves the store");
        }
        return p;
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(path(key));
    }

    @Override
    public void put(String key, byte[] bytes) {
        Path target = path(key);
        try {
            Path tmp = temporarySibling(target);
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store object " + key, e);
        }
    }

    @Override
    public void put(String key, Path file) {
        Path target = path(key);
        try {
            Path tmp = temporarySibling(target);
            try {
                Files.copy(file, tmp);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store object " + key, e);
        }
    }

    /**
     * A fresh name beside {@code target} to write before the atomic move, its directory made if missing (checked
     * first: making an existing directory throws, and a stored clip is one of many in the same bucket).
     */
    private static Path temporarySibling(Path target) throws IOException {
        Path dir = target.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        return dir.resolve(".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "-"
                + Long.toHexString(System.nanoTime()));
    }

    @Override
    public boolean copyTo(String key, Path target) {
        try {
            Files.copy(path(key), target, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read object " + key, e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        try {
            return Optional.of(Files.readAllBytes(path(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read object " + key, e);
        }
    }

    @Override
    public boolean delete(String key) {
        try {
            return Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete object " + key, e);
        }
    }

    @Override
    public String signedUrl(String key, Duration ttl) {
        ObjectStore.checkKey(key);
        long expires = clock.instant().plus(ttl).getEpochSecond();
        return urlPrefix + key + "?expires=" + expires + "&sig=" + signer.sign(key, expires);
    }

    @Override
    public int purgeOlderThan(Duration age) {
        Instant cutoff = clock.instant().minus(age);
        int removed = 0;
        try (DirectoryStream<Path> buckets = Files.newDirectoryStream(root)) {
            for (Path bucket : buckets) {
                if (!Files.isDirectory(bucket) || ObjectStore.kept(bucket.getFileName().toString())) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(bucket)) {
                    for (Path f : files) {
                        if (Files.getLastModifiedTime(f).toInstant().isBefore(cutoff) && Files.deleteIfExists(f)) {
                            removed++;
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot purge objects", e);
        }
        return removed;
    }
}
