package dev.lectern.bench;

import java.util.List;

/**
 * Lectern under a name of its own with extra JVM options, for an A/B of Lectern against itself in the same run (the
 * relay benchmarks' {@code --variant NAME=OPTIONS}): e.g. {@code --variant uring=-Dlectern.transport=io_uring} runs a
 * target {@code lectern-uring} next to the plain {@code lectern}, in the same alternating rounds.
 */
record Variant(String name, List<String> jvmOptions) {
    static final Variant DEFAULT = new Variant("lectern", List.of());

    /** {@code NAME=OPTION OPTION…} (options separated by spaces) as target {@code lectern-NAME}. */
    static Variant parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0 || !spec.substring(0, eq).matches("[\\w.-]+")) {
            throw new IllegalArgumentException("--variant NAME=JVM_OPTIONS, e.g. uring=-Dlectern.transport=io_uring;"
                    + " got " + spec);
        }
        String options = spec.substring(eq + 1).trim();
        return new Variant("lectern-" + spec.substring(0, eq),
                options.isEmpty() ? List.of() : List.of(options.split("\\s+")));
    }
}
