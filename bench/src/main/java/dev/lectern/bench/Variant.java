package dev.lectern.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lectern under a name of its own with extra JVM options, for an A/B of Lectern against itself in the same run (the
 * relay benchmarks' {@code --variant NAME=OPTIONS}): e.g. {@code --variant uring=-Dlectern.transport=io_uring} runs a
 * target {@code lectern-uring} next to the plain {@code lectern}, in the same alternating rounds. An option
 * {@code LECTERN_X=v} is a config setting of the variant's nodes instead (an environment variable), e.g.
 * {@code --variant io1=LECTERN_HTTP__IO_THREADS=1}. An option {@code +cp:PATHS} puts those jars or directories
 * ({@code :}-separated) ahead of the benchmark's own classpath in the variant's nodes: the code of another commit
 * against this one, e.g. {@code --variant old=+cp:/tmp/old/signaling-core-0.1.0-SNAPSHOT.jar} with that module's jar
 * built from the other commit (its classes are found first).
 */
record Variant(String name, List<String> jvmOptions) {
    static final Variant DEFAULT = new Variant("lectern", List.of());
    private static final Pattern ENV = Pattern.compile("(LECTERN_\\w+)=(.*)");
    private static final String CLASSPATH = "+cp:";

    /** The JVM's options: those that are neither {@code LECTERN_X=v} settings nor {@code +cp:} entries. */
    List<String> javaOptions() {
        return jvmOptions.stream().filter(o -> !ENV.matcher(o).matches() && !o.startsWith(CLASSPATH)).toList();
    }

    /** The classpath of the variant's nodes: the {@code +cp:} entries, then the benchmark's own. */
    String classpath() {
        StringBuilder cp = new StringBuilder();
        for (String o : jvmOptions) {
            if (o.startsWith(CLASSPATH)) {
                cp.append(o.substring(CLASSPATH.length())).append(java.io.File.pathSeparatorChar);
            }
        }
        return cp.append(System.getProperty("java.class.path")).toString();
    }

    /**
     * The {@code LECTERN_X=v} settings among the options, as environment variables of the variant's nodes (a config
     * key, e.g. {@code LECTERN_HTTP__IO_THREADS=1}, in the form config/lectern.yaml documents).
     */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String o : jvmOptions) {
            Matcher m = ENV.matcher(o);
            if (m.matches()) {
                env.put(m.group(1), m.group(2));
            }
        }
        return env;
    }

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
