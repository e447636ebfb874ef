package dev.lectern.companions;

import java.util.regex.Pattern;

/** A tutor the student can talk to: who it is, what it teaches, how it speaks. */
public record Companion(String id, String name, String subject, String persona, String voice, String avatar,
                        String greeting, boolean retired) {
    private static final Pattern ID = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?");

    public Companion {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id must match [a-z0-9-]{1,64} and not start or end with '-'");
        }
        name = required(name, "name", 80);
        subject = required(subject, "subject", 80).toLowerCase(java.util.Locale.ROOT);
        persona = required(persona, "persona", 8000);
        voice = optional(voice, "voice", 120);
        avatar = optional(avatar, "avatar", 120);
        greeting = optional(greeting, "greeting", 500);
    }

    private static String required(String value, String field, int max) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
        return bounded(value.strip(), field, max);
    }

    private static String optional(String value, String field, int max) {
        return value == null ? "" : bounded(value.strip(), field, max);
    }

    private static String bounded(String value, String field, int max) {
        if (value.length() > max) {
            throw new IllegalArgumentException(field + " must be at most " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) && c != '\n' && c != '\t') {
                throw new IllegalArgumentException(field + " must not contain control characters");
            }
        }
        return value;
    }
}
