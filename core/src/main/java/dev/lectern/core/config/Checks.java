package dev.lectern.core.config;

import java.util.List;

/** Range checks for config records. Each failure names the key, the value and what was expected. */
public final class Checks {
    private Checks() {}

    public static void checkPort(int port, String key) {
        if (port < 0 || port > 65535) {
            throw new ConfigException(key + ": " + port + " (expected: 0-65535)");
        }
    }

    public static void checkPositive(long value, String key) {
        if (value <= 0) {
            throw new ConfigException(key + ": " + value + " (expected: > 0)");
        }
    }

    public static void checkNonNegative(long value, String key) {
        if (value < 0) {
            throw new ConfigException(key + ": " + value + " (expected: >= 0)");
        }
    }

    public static void checkRange(long value, long min, long max, String key) {
        if (value < min || value > max) {
            throw new ConfigException(key + ": " + value + " (expected: " + min + "-" + max + ")");
        }
    }

    public static String checkNotBlank(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(key + ": must not be empty");
        }
        return value;
    }

    public static <T> List<T> copyOf(List<T> list, String key) {
        if (list == null) {
            throw new ConfigException(key + ": must be a list (use [] for none)");
        }
        return List.copyOf(list);
    }
}
