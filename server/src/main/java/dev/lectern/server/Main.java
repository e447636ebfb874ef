package dev.lectern.server;

import dev.lectern.core.config.ConfigException;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code lectern [conformance] [--config FILE]}: starts the server in the foreground ({@code conformance}: the
 * fixture of the official Socket.IO v5 / Engine.IO v4 test suites on port 3000 instead of the rooms). SIGTERM or SIGINT shut it down gracefully
 * and exit 0; an unusable config or a busy port logs one ERROR line and exits 2.
 */
public final class Main {
    private static final Logger logger = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        boolean conformance = args.length > 0 && args[0].equals("conformance");
        if (conformance) {
            // the official Socket.IO / Engine.IO suites expect exactly this on localhost:3000
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
            Map<String, String> fixed = new java.util.HashMap<>(env);
            fixed.put("LECTERN_HTTP__HOST", env.getOrDefault("LECTERN_CONFORMANCE_HOST", "127.0.0.1"));
            fixed.put("LECTERN_HTTP__PORT", "3000");
            fixed.put("LECTERN_SIGNALING__PORT", "3000");
            env = Map.copyOf(fixed);
        }
        Path configFile;
        try {
            configFile = configPath(args, env);
        } catch (IllegalArgumentException e) {
            System.err.println("lectern: " + e.getMessage());
            System.err.println("usage: lectern [--config FILE]");
            System.exit(64);
            return;
        }
        LecternServer server;
        try {
            ServerConfig config = ConfigLoader.load(configFile, env);
            server = LecternServer.start(config, env, conformance);
        } catch (ConfigException e) {
            logger.error("invalid configuration: {}", e.getMessage());
            System.exit(2);
            return;
        } catch (StartupException e) {
            logger.error("cannot start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        logger.info("shutdown requested");
        server.close();
        System.exit(0);
    }

    static Path configPath(String[] args, Map<String, String> env) {
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                file = Path.of(args[++i]);
            } else if (args[i].startsWith("--config=")) {
                file = Path.of(args[i].substring("--config=".length()));
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (file == null) {
            String fromEnv = env.get("LECTERN_CONFIG");
            file = Path.of(fromEnv != null && !fromEnv.isBlank() ? fromEnv : "config/lectern.yaml");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file not found: " + file);
        }
        return file;
    }
}
