package dev.lectern.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Assumptions;

/**
 * The real services integration tests use: Redis at 127.0.0.1:6379 and PostgreSQL at 127.0.0.1:5432. A test that
 * needs one calls {@link #requireRedis()} / {@link #requirePostgres()}: when the service is absent the test is skipped
 * with a visible reason, except under {@code CI=true}, where a missing service is a failure.
 */
public final class TestServices {
    public static final String REDIS_HOST = "127.0.0.1";
    public static final int REDIS_PORT = 6379;
    public static final String POSTGRES_HOST = "127.0.0.1";
    public static final int POSTGRES_PORT = 5432;

    private TestServices() {}

    public static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    public static void requireRedis() {
        require("Redis", REDIS_HOST, REDIS_PORT);
    }

    public static void requirePostgres() {
        require("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT);
    }

    public static String redisUrl() {
        return "redis://" + REDIS_HOST + ":" + REDIS_PORT;
    }

    private static void require(String name, String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
        } catch (IOException e) {
            String reason = name + " is not reachable at " + host + ":" + port + " (" + e.getMessage() + ")";
            if (ci()) {
                throw new AssertionError(reason + "; under CI=true every store must be present");
            }
            Assumptions.abort("SKIPPED: " + reason);
        }
    }

    /** A port that was free a moment ago, for a server the test starts itself. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
