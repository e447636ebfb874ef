package dev.lectern.avatars;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.avatars.AddedAvatarRepository.AddedAvatar;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.error.ServiceException;
import dev.lectern.media.AvatarService;
import dev.lectern.core.store.sql.DuplicateKeyException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The avatars users can pick: the configured ones ({@code avatars.catalogue}, read-only here) and the ones tutors
 * added through the API (a row in the SQL store, the face image and voice sample in the object store, bucket
 * {@value #BUCKET}). Blocking (SQL, files, object store, ephemeral store): call from the blocking executor.
 */
public final class AvatarCatalogue {
    public static final String BUCKET = "avatars";
    /** Names of added avatars; they become object keys and the {@code {avatar}} argument of the avatar command. */
    /** Never starting with '-': a name reaches the avatar command line, where it must not read as an option. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,63}");
    /** A configured preview image larger than this is not served (it is a misconfiguration, not a preview). */
    static final long MAX_PREVIEW_BYTES = 16L * 1024 * 1024;

    private static final Logger logger = LoggerFactory.getLogger(AvatarCatalogue.class);

    private final AvatarsConfig config;
    private final AddedAvatarRepository added;
    private final ObjectStore objects;
    private final EphemeralStore store;

    public AvatarCatalogue(AvatarsConfig config, AddedAvatarRepository added, ObjectStore objects,
                           EphemeralStore store) {
        this.config = config;
        this.added = added;
        this.objects = objects;
        this.store = store;
    }

    /** One avatar of the catalogue; {@code createdBy} is "" for configured ones. */
    public record Entry(AvatarsConfig.Avatar avatar, boolean configured, String createdBy) {}

    /** An image to send as it is. */
    /**
     * An avatar's face, to be sent from {@code file} ({@code length} bytes) as it is read; {@code afterSent} (or null)
     * runs once it is sent (deletes a temporary copy fetched from a remote object store).
     */
    public record Image(String contentType, Path file, long length, Runnable afterSent) {}

    /** Configured avatars first, in file order, then added ones by name. */
    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        for (AvatarsConfig.Avatar a : config.catalogue()) {
            out.add(new Entry(a, true, ""));
        }
        for (AddedAvatar a : added.list()) {
            out.add(new Entry(avatar(a), false, a.createdBy()));
        }
        return out;
    }

    public Optional<Entry> find(String name) {
        Optional<AvatarsConfig.Avatar> configured = configured(name);
        if (configured.isPresent()) {
            return Optional.of(new Entry(configured.get(), true, ""));
        }
        if (!NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return added.find(name).map(a -> new Entry(avatar(a), false, a.createdBy()));
    }

    /** An added avatar as the avatar manager starts it: its name is its {@code {avatar}}. */
    AvatarsConfig.Avatar avatar(AddedAvatar a) {
        return new AvatarsConfig.Avatar(a.name(), a.description(), "active", "", "", config.addedAvatarModel(),
                a.name(), true, "");
    }

    private Optional<AvatarsConfig.Avatar> configured(String name) {
        return config.catalogue().stream().filter(a -> a.name().equals(name)).findFirst();
    }

    /** The face of an avatar: the configured {@code previewImage}, or the image stored when it was added. 404 otherwise. */
    public Image preview(String name) {
        Optional<AvatarsConfig.Avatar> configured = configured(name);
        if (configured.isPresent()) {
            return configuredPreview(configured.get());
        }
        AddedAvatar a = (NAME.matcher(name).matches() ? added.find(name) : Optional.<AddedAvatar>empty())
                .orElseThrow(() -> ServiceException.notFound("no avatar named '" + name + "'"));
        return storedFace(name, a);
    }

    /** The added avatar's face: the local store's own file, or a temporary copy of a remote store's object. */
    private Image storedFace(String name, AddedAvatar a) {
        try {
            if (objects instanceof dev.lectern.core.objects.LocalObjectStore local) {
                Path file = local.path(a.faceKey());
                if (Files.isRegularFile(file)) {
                    return new Image(a.faceType(), file, Files.size(file), null);
                }
            } else {
                Path copy = Files.createTempFile("lectern-face-", ".img");
                if (objects.copyTo(a.faceKey(), copy)) {
                    return new Image(a.faceType(), copy, Files.size(copy), () -> deleteQuietly(copy));
                }
                deleteQuietly(copy);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        logger.warn("avatar {}: face image {} is missing from the object store", name, a.faceKey());
        throw ServiceException.notFound("the image of avatar '" + name + "' is missing");
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            logger.warn("could not delete the temporary face copy {}: {}", file, e.toString());
        }
    }

    private Image configuredPreview(AvatarsConfig.Avatar a) {
        if (a.previewImage().isEmpty()) {
            throw ServiceException.notFound("avatar '" + a.name() + "' has no preview image");
        }
        Path file = Path.of(config.workDir()).resolve(a.previewImage());
        byte[] head = new byte[16];
        long size;
        try {
            size = Files.size(file);
            if (size > MAX_PREVIEW_BYTES) {
                logger.warn("avatar {}: preview image {} is larger than {} bytes; not served", a.name(), file,
                        MAX_PREVIEW_BYTES);
                throw ServiceException.notFound("the preview image of avatar '" + a.name() + "' is not usable");
            }
            try (InputStream in = Files.newInputStream(file)) {
                head = Arrays.copyOf(head, Math.max(0, in.readNBytes(head, 0, head.length)));
            }
        } catch (NoSuchFileException e) {
            logger.warn("avatar {}: preview image {} does not exist", a.name(), file);
            throw ServiceException.notFound("the preview image of avatar '" + a.name() + "' is missing");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MagicBytes.Kind kind = MagicBytes.image(head);
        if (kind == null) {
            logger.warn("avatar {}: preview image {} is neither PNG nor JPEG; not served", a.name(), file);
            throw ServiceException.notFound("the preview image of avatar '" + a.name() + "' is not usable");
        }
        // sent from the file as it is read (a changed file is sent as it is then; its first bytes were checked)
        return new Image(kind.mediaType(), file, size, null);
    }

    /**
     * Adds an avatar from a face image (PNG or JPEG) and a voice sample (WAV, MP3 or M4A), told apart by their first
     * bytes, not by names or types the client chose: both go to the object store (streamed from the given files),
     * then a row makes the avatar exist on every node. 400 for a bad name or an empty file, 415 for a file of the
     * wrong kind, 409 for a name that is taken (configured or added).
     */
    public Entry add(String name, String description, Path face, Path voice, Principal caller) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw ServiceException.badRequest("field 'avatar_name' must be 1-64 letters, digits, '_' or '-'"
                    + " (not starting with '-')");
        }
        String desc = description == null ? "" : description.strip();
        if (desc.length() > 500) {
            throw ServiceException.badRequest("field 'description' is longer than 500 characters");
        }
        if (configured(name).isPresent() || added.find(name).isPresent()) {
            throw new ServiceException(409, "avatar_exists", "an avatar named '" + name + "' already exists");
        }
        MagicBytes.Kind faceKind = kind(face, "prompt_face", MagicBytes::image, "a PNG or JPEG image");
        MagicBytes.Kind voiceKind = kind(voice, "prompt_voice", MagicBytes::audio, "WAV, MP3 or M4A audio");
        // a key of its own per add: a racing add of the same name can never overwrite this one's objects
        String stem = BUCKET + "/" + name + "-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
        String faceKey = stem + "-face." + faceKind.extension();
        String voiceKey = stem + "-voice." + voiceKind.extension();
        objects.put(faceKey, face);
        try {
            objects.put(voiceKey, voice);
            AddedAvatar a = added.create(name, desc, faceKey, faceKind.mediaType(), voiceKey, voiceKind.mediaType(),
                    caller.userId());
            logger.info("avatar {} added by {}", name, caller.userId());
            return new Entry(avatar(a), false, a.createdBy());
        } catch (RuntimeException e) {
            for (String key : List.of(faceKey, voiceKey)) {
                try {
                    objects.delete(key);
                } catch (RuntimeException cleanup) {
                    logger.warn("avatar {} not added; its object {} could not be removed: {}", name, key,
                            cleanup.toString());
                }
            }
            if (e instanceof DuplicateKeyException) {
                throw new ServiceException(409, "avatar_exists", "an avatar named '" + name + "' already exists");
            }
            throw e;
        }
    }

    private static MagicBytes.Kind kind(Path file, String field, Function<byte[], MagicBytes.Kind> sniff,
                                        String expected) {
        byte[] head = new byte[16];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (n == 0) {
            throw ServiceException.badRequest("file '" + field + "' is empty");
        }
        MagicBytes.Kind kind = sniff.apply(Arrays.copyOf(head, n));
        if (kind == null) {
            throw new ServiceException(415, "unsupported_media_type", "file '" + field + "' must be " + expected);
        }
        return kind;
    }

    /**
     * Deletes an added avatar: its row (so no node offers it any more), then its objects. Refused with 404 for an
     * unknown name, 409 for a configured avatar or one that someone's instance is running, 403 for a tutor who did
     * not add it (admins may delete any).
     */
    public void delete(String name, Principal caller) {
        if (configured(name).isPresent()) {
            throw new ServiceException(409, "configured_avatar", "avatar '" + name + "' comes from the server's"
                    + " configuration (avatars.catalogue) and cannot be deleted through the API");
        }
        AddedAvatar a = (NAME.matcher(name).matches() ? added.find(name) : Optional.<AddedAvatar>empty())
                .orElseThrow(() -> ServiceException.notFound("no avatar named '" + name + "'"));
        if (!caller.isAdmin() && !caller.userId().equals(a.createdBy())) {
            throw ServiceException.forbidden("only the tutor who added avatar '" + name + "' or an admin may delete it");
        }
        if (inUse(name)) {
            throw new ServiceException(409, "avatar_in_use", "avatar '" + name + "' is in use; it can be deleted once"
                    + " every user has disconnected from it");
        }
        if (!added.delete(name)) {
            throw ServiceException.notFound("no avatar named '" + name + "'"); // deleted meanwhile by someone else
        }
        deleteObjects(a);
        logger.info("avatar {} deleted by {}", name, caller.userId());
    }

    /**
     * Deletes the added avatars (row, then face and voice objects) that were added more than {@code maxAge} before
     * {@code nowMillis} and that nobody's instance runs; returns how many. Avatars in use are kept for a later round.
     */
    public int purgeOlderThan(java.time.Duration maxAge, long nowMillis) {
        int purged = 0;
        for (AddedAvatar a : added.list()) {
            if (nowMillis - a.createdAtMillis() < maxAge.toMillis() || inUse(a.name())) {
                continue;
            }
            if (added.delete(a.name())) {
                deleteObjects(a);
                purged++;
                logger.info("added avatar {} purged: older than {} days", a.name(), maxAge.toDays());
            }
        }
        return purged;
    }

    private void deleteObjects(AddedAvatar a) {
        for (String key : List.of(a.faceKey(), a.voiceKey())) {
            try {
                objects.delete(key);
            } catch (RuntimeException e) {
                logger.warn("avatar {} deleted, but its object {} could not be removed: {}", a.name(), key,
                        e.toString());
            }
        }
    }

    /**
     * Whether a user's instance (starting or running, on any node) is of this avatar, from the user → instance
     * mapping the avatar managers keep in the ephemeral store.
     */
    public boolean inUse(String name) {
        for (String value : store.hgetAll(AvatarService.USERS_KEY).values()) {
            JsonNode m;
            try {
                m = Json.MAPPER.readTree(value);
            } catch (IOException | RuntimeException e) {
                continue;
            }
            if (m != null && name.equals(m.path("avatar").asText()) && !"crashed".equals(m.path("state").asText())) {
                return true;
            }
        }
        return false;
    }
}
