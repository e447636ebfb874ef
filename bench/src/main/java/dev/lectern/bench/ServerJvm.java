package dev.lectern.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a server JVM a benchmark starts: fixed heap touched at start-up, G1 unless told otherwise, this
 * classpath. Pre-touching matters on a virtual machine, where the first write to each fresh page of heap can cost
 * far more than the copy itself: without it, the first collections and the first large buffers of a measurement stall
 * for tens to hundreds of milliseconds, which is the JVM warming up, not the server's latency.
 */
final class ServerJvm {
    private ServerJvm() {}

    /**
     * {@code java -Xms -Xmx -XX:+AlwaysPreTouch [G1] -Dlogback… -Dio.netty.leakDetection.level=disabled
     * [BENCH_SERVER_OPTS] -cp <ours> mainClass args…}, as {@code bin/lectern} runs Lectern. {@code BENCH_SERVER_OPTS}
     * adds options (GC logging, another collector: G1 is then left out, as it is when a variant's options choose one).
     */
    static List<String> command(String heap, String mainClass, String... args) {
        return command(heap, List.of(), mainClass, args);
    }

    /**
     * The same, with {@code options} (system properties such as {@code -Dlectern.transport=io_uring}) after ours. Ours
     * are those of {@code bin/lectern} in production, Netty's leak detector off included (docs/OPERATIONS.md);
     * {@code -Dio.netty.leakDetection.level=simple} in {@code options} or {@code BENCH_SERVER_OPTS} turns it back on.
     */
    static List<String> command(String heap, List<String> options, String mainClass, String... args) {
        return command(heap, System.getProperty("java.class.path"), withOurOptions(options), mainClass, args);
    }

    /** Those of {@code bin/lectern} (logging, the leak detector off), then {@code options}. */
    static List<String> withOurOptions(List<String> options) {
        List<String> all = new ArrayList<>(
                List.of("-Dlogback.configurationFile=" + Path.of("config/logback.xml").toAbsolutePath(),
                        "-Dio.netty.leakDetection.level=disabled"));
        all.addAll(options);
        return all;
    }

    /** The same JVM (heap, collector, {@code BENCH_SERVER_OPTS}) on another classpath, with options of its own. */
    static List<String> command(String heap, String classpath, List<String> options, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xms" + heap, "-Xmx" + heap,
                "-XX:+AlwaysPreTouch"));
        String extra = System.getenv("BENCH_SERVER_OPTS"); // e.g. -Xlog:gc:file=/tmp/gc.log or -XX:+UseZGC
        boolean collectorChosen = (extra != null && extra.matches(".*-XX:\\+Use\\w+GC.*"))
                || options.stream().anyMatch(o -> o.matches("-XX:\\+Use\\w+GC"));
        if (!collectorChosen) { // a variant or BENCH_SERVER_OPTS may choose another
            command.add("-XX:+UseG1GC");
        }
        command.addAll(options);
        if (extra != null && !extra.isBlank()) { // last: a -D in it wins over ours
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        command.addAll(List.of("-cp", classpath, mainClass));
        command.addAll(List.of(args));
        return command;
    }
}
