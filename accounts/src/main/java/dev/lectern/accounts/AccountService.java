package dev.lectern.accounts;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.sql.DuplicateKeyException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sign-up, sign-in and account administration, in plain Java. Every method blocks (bcrypt, SQL, the ephemeral
 * store) and runs on the blocking executor. Failures are {@link ServiceException}s with the status the client sees.
 */
public final class AccountService {
    private static final Logger logger = LoggerFactory.getLogger(AccountService.class);
    private static final Pattern EMAIL = Pattern.compile("^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$");
    public static final List<String> PURPOSES = List.of("register", "reset_password");

    private final UserRepository users;
    private final AuditLog audit;
    private final TokenService tokens;
    private final EphemeralStore store;
    private final CodeSender codes;
    private final LoginThrottle throttle;
    private final PasswordPolicy policy;
    private final AccountsConfig config;
    private final SecureRandom random = new SecureRandom();
    /**
     * Mail goes out here, off the request path: {@code send_verification} answers as fast whether or not a code was
     * sent (an account exists), and a slow mail server holds no request.
     */
    private final java.util.concurrent.ThreadPoolExecutor mailer = new java.util.concurrent.ThreadPoolExecutor(1, 1,
            0, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(1000), r -> {
                Thread t = new Thread(r, "lectern-mail");
                t.setDaemon(true);
                return t;
            });
    /** Compared against when the account does not exist, so that a wrong address costs as long as a wrong password. */
    private volatile String dummyHash;

    public AccountService(UserRepository users, AuditLog audit, TokenService tokens, EphemeralStore store,
                          CodeSender codes, AccountsConfig config) {
        this.users = users;
        this.audit = audit;
        this.tokens = tokens;
        this.store = store;
        this.codes = codes;
        this.config = config;
        this.throttle = new LoginThrottle(store, config.loginThrottle());
        this.policy = new PasswordPolicy(config.minPasswordLength());
    }

    /** What login and register answer: the token and the account. */
    public record Session(TokenService.Issued token, User user) {}

    // --- verification codes

    /**
     * Sends a code for {@code purpose} to the address when the account state fits (no account for register, an
     * enabled one for reset_password); answers the same either way. At most {@code codesPerAddressPerHour} codes per
     * e-mail address and purpose, and {@code codesPerClientPerHour} per client {@code address}; none while the
     * address's codes are locked after too many wrong guesses.
     */
    public void sendVerification(String rawEmail, String purpose, String address) {
        String email = email(rawEmail);
        if (!PURPOSES.contains(purpose)) {
            throw ServiceException.badRequest("purpose must be one of " + PURPOSES);
        }
        Duration resend = Duration.ofSeconds(config.codeResendSeconds());
        String sentKey = "code-sent:" + purpose + ":" + email;
        if (!store.setIfAbsent(sentKey, "1", resend)) {
            long wait = store.ttl(sentKey).map(d -> (d.toMillis() + 999) / 1000).orElse(1L);
            throw ServiceException.tooManyRequests("a code was sent to this address a moment ago", wait);
        }
        capPerHour("code-hour:client:" + address, config.codesPerClientPerHour(),
                "too many codes requested from this network; try again later");
        capPerHour("code-hour:" + purpose + ":" + email, config.codesPerAddressPerHour(),
                "too many codes were sent to this address; try again later");
        Optional<User> existing = users.byEmail(email);
        // answer the same either way; only send when the purpose fits, so the endpoint does not list accounts
        boolean fits = purpose.equals("register") ? existing.isEmpty() : existing.filter(u -> !u.disabled()).isPresent();
        if (!fits || store.exists(lockKey(purpose, email))) {
            logger.debug("verification for {} not sent: purpose {} does not fit the account state", email, purpose);
            return;
        }
        String code = String.format(Locale.ROOT, "%06d", random.nextInt(1_000_000));
        Duration ttl = Duration.ofSeconds(config.codeTtlSeconds());
        store.set(codeKey(purpose, email), code, ttl);
        store.delete(attemptsKey(purpose, email));
        mail(() -> codes.send(email, purpose, code), email);
    }

    private void capPerHour(String key, int max, String message) {
        long n = store.increment(key, 1, Duration.ofHours(1));
        if (n > max) {
            long wait = store.ttl(key).map(d -> (d.toMillis() + 999) / 1000).orElse(3600L);
            throw ServiceException.tooManyRequests(message, wait);
        }
    }

    private void mail(Runnable send, String email) {
        try {
            mailer.execute(() -> {
                try {
                    send.run();
                } catch (RuntimeException e) {
                    logger.warn("mail to {} not sent: {}", email, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            logger.warn("mail to {} not sent: the mail queue is full", email);
        }
    }

    private static String codeKey(String purpose, String email) {
        return "code:" + purpose + ":" + email;
    }

    private static String attemptsKey(String purpose, String email) {
        return "code-attempts:" + purpose + ":" + email;
    }

    /** Guesses at an address's codes of one purpose in 24 hours: a resend (a fresh code) does not clear it. */
    private static String guessesKey(String purpose, String email) {
        return "code-guesses:" + purpose + ":" + email;
    }

    private static String lockKey(String purpose, String email) {
        return "code-lock:" + purpose + ":" + email;
    }

    /** Every failure of a code answers this, whatever the reason (no code, wrong, void, locked). */
    private static ServiceException invalidCode() {
        return new ServiceException(400, "invalid_code", "wrong or expired code; request a new one");
    }

    /**
     * Checks and consumes a code. Each guess is counted before it is compared (so concurrent guesses cannot pass the
     * limits): {@code codeMaxAttempts} per code, and {@code codeGuessesPerDay} per address and purpose whatever the
     * number of codes sent; beyond the latter the address's codes of that purpose are locked for a day and the owner
     * is mailed. Wrong codes also count against the client address in the login throttle.
     */
    private void consumeCode(String purpose, String email, String code, String address) {
        if (code == null || !code.matches("\\d{6}")) {
            throw new ServiceException(400, "invalid_code", "code must be six digits");
        }
        if (store.exists(lockKey(purpose, email))) {
            throttle.failedAddress(address);
            throw invalidCode();
        }
        long guesses = store.increment(guessesKey(purpose, email), 1, Duration.ofDays(1));
        if (guesses > config.codeGuessesPerDay()) {
            lockCodes(purpose, email);
            throttle.failedAddress(address);
            throw invalidCode();
        }
        long attempts = store.increment(attemptsKey(purpose, email), 1, Duration.ofSeconds(config.codeTtlSeconds()));
        String expected = attempts > config.codeMaxAttempts() ? null : store.get(codeKey(purpose, email)).orElse(null);
        if (expected == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                code.getBytes(StandardCharsets.US_ASCII))) {
            if (attempts >= config.codeMaxAttempts()) {
                store.delete(codeKey(purpose, email));
            }
            if (guesses >= config.codeGuessesPerDay()) {
                lockCodes(purpose, email);
            }
            throttle.failedAddress(address);
            throw invalidCode();
        }
        store.delete(codeKey(purpose, email));
        store.delete(attemptsKey(purpose, email));
    }

    /** No more codes of this purpose for the address today; the owner is told (once). */
    private void lockCodes(String purpose, String email) {
        store.delete(codeKey(purpose, email));
        if (store.setIfAbsent(lockKey(purpose, email), "1", Duration.ofDays(1))) {
            logger.atWarn().addKeyValue("email", email).addKeyValue("purpose", purpose)
                    .log("verification codes locked for a day after {} wrong guesses", config.codeGuessesPerDay());
            mail(() -> codes.sendLocked(email, purpose), email);
        }
    }

    // --- sign-up and sign-in

    public Session register(String rawEmail, String password, String code, String roleName, Principal caller,
                            String address) {
        String email = email(rawEmail);
        Role role = roleName == null || roleName.isEmpty() ? Role.STUDENT : Role.parse(roleName)
                .orElseThrow(() -> ServiceException.badRequest("role must be student, tutor or admin"));
        boolean byAdmin = caller != null && caller.isAdmin();
        if (role == Role.ADMIN && !byAdmin && !config.adminEmails().contains(email)) {
            throw ServiceException.forbidden("only an admin can create an admin account");
        }
        policy.check(password, email);
        if (!byAdmin) {
            // the code first: without it every answer is the same 400, so register does not tell who has an account
            throttle.checkAddress(address);
            consumeCode("register", email, code, address); // an admin creating an account vouches for the address
        }
        if (users.byEmail(email).isPresent()) {
            throw new ServiceException(409, "email_taken", "this e-mail address is already registered");
        }
        User user;
        try {
            user = users.create(email, hash(password), role, "");
        } catch (DuplicateKeyException e) {
            throw new ServiceException(409, "email_taken", "this e-mail address is already registered");
        }
        if (byAdmin) {
            audit.record(Long.parseLong(caller.userId()), "user.create", "user:" + user.id(),
                    "role=" + role.wireName(), address);
        }
        return new Session(tokens.issue(Long.toString(user.id()), user.role()), user);
    }

    public Session login(String rawEmail, String password, String address) {
        String email = email(rawEmail);
        throttle.checkAllowed(email, address);
        Optional<User> found = users.byEmail(email);
        boolean ok = verify(password, found.isPresent() ? found.get().passwordHash() : dummyHash())
                && found.isPresent();
        if (!ok) {
            throttle.failed(email, address);
            throw ServiceException.unauthorized("wrong e-mail address or password");
        }
        User user = found.get();
        if (user.disabled()) {
            throw new ServiceException(403, "account_disabled", "this account has been disabled");
        }
        throttle.succeeded(email, address);
        return new Session(tokens.issue(Long.toString(user.id()), user.role()), user);
    }

    public void logout(Principal principal) {
        tokens.revoke(principal.userId(), principal.tokenId());
    }

    /**
     * Sets a new password with a {@code reset_password} code: for the signed-in caller, or for {@code email} when
     * nobody is signed in. Revokes every token of the account.
     */
    public void updatePassword(Principal caller, String rawEmail, String code, String newPassword, String address) {
        throttle.checkAddress(address);
        User user;
        if (caller != null) {
            user = requireUser(caller);
            policy.check(newPassword, user.email());
        } else {
            if (rawEmail == null) {
                throw ServiceException.badRequest("email is required when not signed in");
            }
            String email = email(rawEmail);
            policy.check(newPassword, email); // before the look-up, so the answer does not tell who has an account
            user = users.byEmail(email).filter(u -> !u.disabled()).orElse(null);
            if (user == null) {
                throttle.failedAddress(address);
                throw invalidCode();
            }
        }
        consumeCode("reset_password", user.email(), code, address);
        users.updatePassword(user.id(), hash(newPassword));
        tokens.revokeAll(Long.toString(user.id()));
    }

    // --- profile

    public User requireUser(Principal principal) {
        long id = parseId(principal.userId());
        return users.byId(id).filter(u -> !u.disabled())
                .orElseThrow(() -> ServiceException.unauthorized("account no longer exists or is disabled"));
    }

    public User updateProfile(Principal principal, String displayName) {
        if (displayName == null) {
            throw ServiceException.badRequest("display_name is required");
        }
        String name = displayName.strip();
        if (name.length() > 100 || name.codePoints().anyMatch(Character::isISOControl)) {
            throw ServiceException.badRequest("display_name must be at most 100 characters without control characters");
        }
        User user = requireUser(principal);
        users.updateDisplayName(user.id(), name);
        return users.byId(user.id()).orElseThrow();
    }

    // --- administration

    public List<User> listUsers(int offset, int limit) {
        return users.list(offset, limit);
    }

    public long countUsers() {
        return users.count();
    }

    /** Disables or re-enables an account; disabling revokes its tokens at once. Audited. */
    public User setDisabled(Principal admin, long userId, boolean disabled, String address) {
        User target = users.byId(userId).orElseThrow(() -> ServiceException.notFound("no such user"));
        if (disabled && Long.toString(userId).equals(admin.userId())) {
            throw ServiceException.badRequest("an admin cannot disable their own account");
        }
        users.setDisabled(userId, disabled);
        if (disabled) {
            tokens.revokeAll(Long.toString(userId));
        }
        audit.record(parseId(admin.userId()), disabled ? "user.disable" : "user.enable", "user:" + userId,
                target.email(), address);
        return users.byId(userId).orElseThrow();
    }

    public List<AuditLog.Entry> auditLog(int offset, int limit) {
        return audit.recent(offset, limit);
    }

    // --- helpers

    private static long parseId(String id) {
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw ServiceException.unauthorized("token does not name an account");
        }
    }

    static String email(String raw) {
        if (raw == null) {
            throw ServiceException.badRequest("email is required");
        }
        String e = raw.strip().toLowerCase(Locale.ROOT);
        if (e.length() > 254 || !EMAIL.matcher(e).matches()) {
            throw ServiceException.badRequest("email is not a valid address");
        }
        return e;
    }

    /** Made on first use, not at start-up: one bcrypt hash at the configured cost takes a noticeable moment. */
    private String dummyHash() {
        String h = dummyHash;
        if (h == null) {
            h = hash("not a password of anybody " + random.nextLong());
            dummyHash = h;
        }
        return h;
    }

    private String hash(String password) {
        return BCrypt.withDefaults().hashToString(config.bcryptCost(), password.toCharArray());
    }

    private static boolean verify(String password, String hash) {
        if (password == null || password.getBytes(StandardCharsets.UTF_8).length > PasswordPolicy.MAX_BYTES) {
            return false;
        }
        return BCrypt.verifyer().verify(password.toCharArray(), hash).verified;
    }
}
