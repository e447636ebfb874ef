package dev.lectern.accounts;

import dev.lectern.core.error.ServiceException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * The minimum strength of a new password: at least {@code minLength} characters, at most 72 bytes (bcrypt reads no
 * further), letters and at least one digit or symbol, not one of the most common passwords, not the e-mail name.
 */
public final class PasswordPolicy {
    static final int MAX_BYTES = 72;
    private static final Set<String> COMMON = Set.of("password", "password1", "password123", "123456789a",
            "qwertyuiop", "qwerty123", "iloveyou1", "letmein123", "welcome123", "admin12345", "abc123456",
            "passw0rd", "p@ssw0rd", "1q2w3e4r5t", "changeme1", "trustno1");

    private final int minLength;

    public PasswordPolicy(int minLength) {
        this.minLength = minLength;
    }

    public void check(String password, String email) {
        if (password == null || password.length() < minLength) {
            throw weak("password must have at least " + minLength + " characters");
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw weak("password must be at most " + MAX_BYTES + " bytes");
        }
        boolean letter = false;
        boolean other = false;
        for (int i = 0; i < password.length(); i++) {
            char c = password.charAt(i);
            if (Character.isISOControl(c)) {
                throw weak("password must not contain control characters");
            }
            if (Character.isLetter(c)) {
                letter = true;
            } else if (!Character.isWhitespace(c)) {
                other = true;
            }
        }
        if (!letter || !other) {
            throw weak("password must mix letters with digits or symbols");
        }
        String lower = password.toLowerCase(Locale.ROOT);
        if (COMMON.contains(lower)) {
            throw weak("password is too common");
        }
        String name = email == null ? "" : email.substring(0, Math.max(0, email.indexOf('@'))).toLowerCase(Locale.ROOT);
        if (name.length() >= 4 && lower.contains(name)) {
            throw weak("password must not contain the e-mail name");
        }
    }

    private static ServiceException weak(String message) {
        return new ServiceException(400, "weak_password", message);
    }
}
