package dev.lectern.server;

import dev.lectern.core.config.ConfigException;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.DotEnv;
import dev.lectern.core.config.SeedEnvironment;
import dev.lectern.core.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code lectern [conformance|worker] [--config FILE] [--env-file FILE]}: starts the server in the foreground
 * ({@code conformance}: the fixture of the official Socket.IO v5 / Engine.IO v4 test suites on port 3000 instead of the
 * rooms). SIGTERM or SIGINT shut it down gracefully and exit 0; an unusable config or a busy port logs one ERROR line
 * and exits 2. {@code --env-file} reads a {@code .env} file; it and the process environment may use the seed
 * backends' variable names ({@link SeedEnvironment}), mapped to Lectern's keys and logged once, names only.
 */
public final class Main {
    private static final Logger logger = LoggerFactory.getLogger(Main.class);

    static final String USAGE = "usage: lectern [conformance|worker] [--config FILE] [--env-file FILE]";

    private Main() {}

    /** What {@link #main} starts: the config, the environment it runs with, and the kind of node. */
    record Startup(ServerConfig config, Map<String, String> env, boolean worker, boolean conformance) {}

    public static void main(String[] args) {
        Startup startup;
        try {
            startup = configure(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("lectern: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(64);
            return;
        } catch (ConfigException e) {
            logger.error("invalid configuration: {}", e.getMessage());
            System.exit(2);
            return;
        }
        AutoCloseable server;
        try {
            server = startup.worker() ? JobsWorker.start(startup.config(), startup.env())
                    : LecternServer.start(startup.config(), startup.env(), startup.conformance());
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
        try {
            server.close();
        } catch (Exception e) {
            logger.warn("shutdown failed", e);
        }
        System.exit(0);
    }

    /**
     * Main's config path: the arguments, the env file and the process environment (seed variables understood, the
     * mapping logged once) to the config and environment the node runs with. Usage errors are
     * {@link IllegalArgumentException}s, unusable configuration {@link ConfigException}s.
     */
    static Startup configure(String[] args, Map<String, String> processEnv) {
        Path envFile = envFile(args);
        args = withoutEnvFile(args);
        SeedEnvironment seed = SeedEnvironment.of(processEnv,
                envFile == null ? Map.of() : DotEnv.read(envFile, processEnv));
        Map<String, String> env = seed.env();
        applyLogLevel(env.get("LECTERN_LOG_LEVEL"));
        if (!seed.isEmpty()) {
            logger.info("seed environment: {}", seed.describe());
        }
        boolean conformance = args.length > 0 && args[0].equals("conformance");
        // `worker`: a node that only works jobs (no listener)
        boolean worker = args.length > 0 && args[0].equals("worker");
        if (worker || conformance) {
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        }
        if (conformance) {
            // the official Socket.IO / Engine.IO suites expect exactly this on localhost:3000
            Map<String, String> fixed = new java.util.HashMap<>(env);
            fixed.put("LECTERN_HTTP__HOST", env.getOrDefault("LECTERN_CONFORMANCE_HOST", "127.0.0.1"));
            fixed.put("LECTERN_HTTP__PORT", "3000");
            fixed.put("LECTERN_SIGNALING__PORT", "3000");
            env = Map.copyOf(fixed);
            seed = SeedEnvironment.of(env);
        }
        Path configFile = configPath(args, env);
        return new Startup(ConfigLoader.load(configFile, seed), env, worker, conformance);
    }

    /** The file named by {@code --env-file FILE} or {@code --env-file=FILE}, or null. */
    static Path envFile(String[] args) {
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--env-file")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--env-file needs a file");
                }
                file = Path.of(args[++i]);
            } else if (args[i].startsWith("--env-file=")) {
                file = Path.of(args[i].substring("--env-file=".length()));
            }
        }
        return file;
    }

    static String[] withoutEnvFile(String[] args) {
        java.util.List<String> rest = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--env-file")) {
                i++;
            } else if (!args[i].startsWith("--env-file=")) {
                rest.add(args[i]);
            }
        }
        return rest.toArray(String[]::new);
    }

    /**
     * logback read LECTERN_LOG_LEVEL from the process environment before Main ran; a level from the env file (or
     * mapped from the seed's LOG_LEVEL) is applied here.
     */
    private static void applyLogLevel(String level) {
        if (level != null && !level.isBlank()
                && LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(ch.qos.logback.classic.Level.toLevel(level.strip(), root.getLevel()));
        }
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
