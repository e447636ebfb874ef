package dev.lectern.accounts;

import dev.lectern.core.config.ConfigException;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HS256 signing key: {@code LECTERN_JWT_SECRET} (or {@code LECTERN_JWT_SECRET_FILE}) when set — at least
 * {@value #MIN_BYTES} bytes, or start-up is refused — otherwise a random key generated on first start and kept in
 * {@code <dataDir>/jwt-secret} with owner-only permissions, so that a single embedded node just works and keeps its
 * tokens valid across restarts. Several nodes must share a configured secret.
 */
public final class JwtSecret {
    public static final String ENV = "LECTERN_JWT_SECRET";
    public static final int MIN_BYTES = 32;
    static final String FILE_NAME = "jwt-secret";
    private static final Logger logger = LoggerFactory.getLogger(JwtSecret.class);

    private JwtSecret() {}

    public static byte[] load(Secrets secrets, Path dataDir) {
        Optional<Secret> configured = secrets.get(ENV);
        if (configured.isPresent()) {
            Secret s = configured.get();
            if (s.length() < MIN_BYTES) {
                throw new ConfigException(s.source() + ": the JWT secret is " + s.length() + " bytes; at least "
                        + MIN_BYTES + " are required (e.g. openssl rand -base64 48)");
            }
            return s.bytes();
        }
        return generatedOrStored(dataDir.resolve(FILE_NAME));
    }

    private static byte[] generatedOrStored(Path file) {
        try {
            if (Files.exists(file)) {
                byte[] stored = Files.readString(file).strip().getBytes(StandardCharsets.UTF_8);
                if (stored.length < MIN_BYTES) {
                    throw new ConfigException(file + ": the stored JWT secret is too short; delete the file to"
                            + " generate a new one (this signs everybody out)");
                }
                return stored;
            }
            Files.createDirectories(file.getParent());
            byte[] random = new byte[48];
            new SecureRandom().nextBytes(random);
            String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file); // not a POSIX file system
            } catch (FileAlreadyExistsException e) {
                return generatedOrStored(file); // another process won the race: use its secret
            }
            Files.writeString(file, encoded);
            logger.info("generated a JWT secret in {} (set {} to share one between nodes)", file, ENV);
            return encoded.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the JWT secret file " + file, e);
        }
    }
}
