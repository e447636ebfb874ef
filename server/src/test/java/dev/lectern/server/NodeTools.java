package dev.lectern.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** What the tests that spawn node need: skipped with a reason when missing, failed under CI=true. */
public final class NodeTools {
    private NodeTools() {}

    /**
     * @param what the tests, for the message ("socket.io-client tests")
     * @param needed files that must exist (installed modules, a browser), each with the hint shown when it does not
     */
    public static void assumeInstalled(String what, Needed... needed) {
        String reason = node() ? null : "node is not installed";
        for (Needed n : needed) {
            if (reason == null && !Files.exists(n.path())) {
                reason = n.path() + " is missing (" + n.hint() + ")";
            }
        }
        if (reason != null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("the " + what + " need it: " + reason);
        }
        Assumptions.assumeTrue(reason == null, reason);
    }

    /** A file a test needs, and how to get it. */
    public record Needed(Path path, String hint) {}

    private static boolean node() {
        try {
            return new ProcessBuilder("node", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
