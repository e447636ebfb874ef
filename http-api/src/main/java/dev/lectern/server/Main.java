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
 * {@code lectern [--config FILE]}: starts the server in the foreground. SIGTERM or SIGINT shut it down gracefully
 * and exit 0; an unusable config or a busy port logs one ERROR line and exits 2.
 */
public final class Main {
    private static final Logger logger = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
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
            server = LecternServer.start(config, env);
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
