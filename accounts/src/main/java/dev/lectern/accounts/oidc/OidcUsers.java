package dev.lectern.accounts.oidc;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.lectern.accounts.User;
import dev.lectern.accounts.UserRepository;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.OidcConfig;
import dev.lectern.core.store.sql.DuplicateKeyException;
import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lectern user behind an external identity: found by (issuer, subject); a subject seen for the first time is
 * linked to the account with its e-mail, or provisioned from the claims (e-mail, name; the first of its
 * {@code cognito:groups} that {@code accounts.oidc.groups} maps gives the role and organisation group, else the
 * default role). A provisioned account has a random password nobody knows: it signs in through the provider only.
 * Blocking (JDBC).
 */
public final class OidcUsers {
    private static final Logger logger = LoggerFactory.getLogger(OidcUsers.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SqlDatabase db;
    private final UserRepository users;
    private final OidcConfig config;
    private volatile BiConsumer<String, String> groupAssigner = (userId, group) -> { };

    public OidcUsers(SqlDatabase db, UserRepository users, OidcConfig config) {
        this.db = db;
        this.users = users;
        this.config = config;
    }

    /**
     * Who puts a provisioned user in an organisation group (by the group's name): the organisation feature, once it
     * is built. Until then mapped groups are not assigned.
     */
    public void onGroup(BiConsumer<String, String> assigner) {
        this.groupAssigner = assigner;
    }

    /** The user for the identity, provisioned on first sight; refuses a disabled account. */
    public User resolve(OidcIdentity id) {
        Optional<Long> linked = db.query(c -> Jdbc.one(c, "SELECT user_id FROM oidc_subjects WHERE issuer = ? AND "
                + "subject = ?", rs -> rs.getLong(1), id.issuer(), id.subject()));
        User user = linked.flatMap(users::byId).orElseGet(() -> provision(id));
        if (user.disabled()) {
            throw new InvalidTokenException("the account is disabled");
        }
        return user;
    }

    private User provision(OidcIdentity id) {
        String email = id.email().isBlank() ? null : id.email().strip().toLowerCase(Locale.ROOT);
        if (email == null) {
            // an access token carries no e-mail: the user must have signed in with an ID token once
            throw new InvalidTokenException("unknown user: sign in with an ID token (with an email claim) first");
        }
        OidcConfig.GroupMapping mapping = id.groups().stream().map(g -> config.groups().get(g))
                .filter(m -> m != null).findFirst().orElse(null);
        String roleName = mapping == null || mapping.role().isEmpty() ? config.defaultRole() : mapping.role();
        Role role = "lecturer".equals(roleName) ? Role.TUTOR : Role.parse(roleName).orElse(Role.STUDENT);
        User user = users.byEmail(email).orElseGet(() -> {
            String secret = HexFormat.of().formatHex(random());
            String hash = BCrypt.withDefaults().hashToString(4, secret.toCharArray());
            String name = id.name().isBlank() ? email : id.name().strip();
            try {
                return users.create(email, hash, role, name.length() > 100 ? name.substring(0, 100) : name);
            } catch (DuplicateKeyException e) {
                // a concurrent first sign-in (the same subject, or the same address) created it a moment ago
                return users.byEmail(email).orElseThrow(() -> e);
            }
        });
        try {
            db.query(c -> Jdbc.update(c, "INSERT INTO oidc_subjects (issuer, subject, user_id, created_at) VALUES "
                    + "(?, ?, ?, ?)", id.issuer(), id.subject(), user.id(), System.currentTimeMillis()));
        } catch (DuplicateKeyException e) {
            return user; // a concurrent first sign-in of the same subject linked it
        }
        if (mapping != null && !mapping.group().isEmpty()) {
            try {
                groupAssigner.accept(Long.toString(user.id()), mapping.group());
            } catch (RuntimeException e) {
                logger.warn("OIDC user {}: cannot put them in group {}: {}", user.id(), mapping.group(), e.toString());
            }
        }
        logger.atInfo().addKeyValue("user", user.id()).addKeyValue("issuer", id.issuer())
                .addKeyValue("role", user.role().wireName()).log("OIDC user provisioned");
        return user;
    }

    private static byte[] random() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return b;
    }
}
