package dev.lectern.core.util;

import java.util.Map;
import java.util.Set;

/**
 * The environment a child process (an avatar, espeak-ng, ffmpeg) gets: Lectern's own environment cleared down to an
 * allow-list — the search path, home, locale, temp dir, library path, Python and CUDA/NVIDIA settings — so that
 * Lectern's secrets (JWT, SMTP, API keys, database URLs) never reach it (issue #19).
 */
public final class ChildEnvironment {
    /** Kept by name; {@code CUDA_*}, {@code NVIDIA_*} and {@code LC_*} are kept by prefix. */
    public static final Set<String> ALLOWED = Set.of("PATH", "HOME", "LANG", "TMPDIR", "TZ",
            "LD_LIBRARY_PATH", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV");

    private ChildEnvironment() {}

    /** Removes every variable that is not on the allow-list from a {@link ProcessBuilder#environment()}. */
    public static void keepOnly(Map<String, String> env) {
        env.keySet().removeIf(k -> !allowed(k));
    }

    public static boolean allowed(String name) {
        return ALLOWED.contains(name) || name.startsWith("CUDA_") || name.startsWith("NVIDIA_")
                || name.startsWith("LC_");
    }
}
