package dev.lectern.bench;

import dev.lectern.core.config.HttpConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A signaling server under load, as child processes on loopback ports: Lectern (one node, or several in
 * {@code cluster.mode: redis}) or one of the peers it is compared with, which run the same join/offer relay for the
 * generator: the Node.js socket.io relay in {@code bench/peers/node} (several nodes over
 * {@code @socket.io/redis-adapter}) and the netty-socketio relay in {@code bench/peers/netty-socketio} (its own JVM and
 * classpath: it needs Netty 4.1). {@code bin/bench} installs and builds the peers. Each node serves Socket.IO at
 * {@code /socket.io/}; the CPU figures are those of every process of the target, from {@code /proc}.
 */
final class RelayTarget implements AutoCloseable {
    static final Path NODE_PEER = Path.of("bench/peers/node");
    static final Path NETTY_SOCKETIO_PEER = Path.of("bench/peers/netty-socketio");

    private final String name;
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();

    private RelayTarget(String name) {
        this.name = name;
    }

    /** What a node needs from the run: its index, a free port and the log file its output goes to. */
    @FunctionalInterface
    private interface NodeStarter {
        ProcessBuilder command(int node, int port) throws IOException;
    }

    private static RelayTarget start(String name, int nodes, NodeStarter starter) throws Exception {
        RelayTarget t = new RelayTarget(name);
        // an interrupted run (Ctrl-C) leaves no server behind: the finally blocks that close targets do not run then
        Runtime.getRuntime().addShutdownHook(new Thread(() -> t.processes.forEach(Process::destroy),
                "bench-stop-" + name));
        try {
            for (int n = 0; n < nodes; n++) {
                int port = freePort();
                Path log = Files.createTempFile("lectern-bench-" + name + n, ".log");
                t.logs.add(log);
                ProcessBuilder pb = starter.command(n, port).redirectErrorStream(true).redirectOutput(log.toFile());
                t.processes.add(pb.start());
                t.ports.add(port);
            }
            for (int n = 0; n < nodes; n++) {
                awaitPort(t.ports.get(n), t.processes.get(n), t.logs.get(n));
            }
            return t;
        } catch (Exception e) {
            t.close();
            throw e;
        }
    }

    /**
     * Lectern as {@code nodes} child JVMs of {@code heap} each. One node runs with the process's own {@code LECTERN_*}
     * environment; several run in {@code cluster.mode: redis} on {@code redis} under {@code keyPrefix}, each with a
     * clean environment plus {@code BENCH_NODE_LECTERN_X=v} as {@code LECTERN_X=v}.
     */
    static RelayTarget lectern(int nodes, String heap, String redis, String keyPrefix) throws Exception {
        return lectern(Variant.DEFAULT, nodes, heap, redis, keyPrefix);
    }

    /** The same, with a variant's name and JVM options (an A/B of Lectern against itself, see {@link Variant}). */
    static RelayTarget lectern(Variant variant, int nodes, String heap, String redis, String keyPrefix)
            throws Exception {
        return start(variant.name(), nodes, (n, port) -> {
            ProcessBuilder pb = new ProcessBuilder(ServerJvm.command(heap, variant.classpath(),
                    ServerJvm.withOurOptions(variant.javaOptions()), "dev.lectern.server.Main",
                    "--config", Path.of("config/lectern.yaml").toAbsolutePath().toString()));
            Map<String, String> env = pb.environment();
            if (nodes > 1) {
                env.keySet().removeIf(k -> k.startsWith("LECTERN_"));
                System.getenv().forEach((k, v) -> {
                    if (k.startsWith("BENCH_NODE_LECTERN_")) {
                        env.put(k.substring("BENCH_NODE_".length()), v);
                    }
                });
                env.put("LECTERN_STORAGE__REDIS__URL", redis);
                env.put("LECTERN_STORAGE__REDIS__KEY_PREFIX", keyPrefix);
                env.put("LECTERN_CLUSTER__MODE", "redis");
                env.put("LECTERN_CLUSTER__NODE_ID", "node" + n);
            }
            env.put("LECTERN_HTTP__HOST", "127.0.0.1");
            env.put("LECTERN_HTTP__PORT", Integer.toString(port));
            env.put("LECTERN_SIGNALING__PORT", Integer.toString(port));
            env.put("LECTERN_SIGNALING__DEV_MODE", "true");
            env.put("LECTERN_SIGNALING__AD_HOC_ROOMS", "true"); // benchmark rooms are made up by the clients
            // every simulated client connects from this one address: handshakes are not rate-limited here
            env.put("LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "0");
            env.put("LECTERN_STORAGE__DATA_DIR", TempDirs.create("lectern-bench-data").toString());
            env.putAll(variant.environment()); // last: a variant's settings win
            return pb;
        });
    }

    /**
     * The Node.js socket.io relay ({@code bench/peers/node/relay.mjs}): one process, or {@code nodes} processes over
     * {@code @socket.io/redis-adapter} on {@code redis}, channels under {@code keyPrefix}.
     */
    static RelayTarget node(int nodes, String redis, String keyPrefix) throws Exception {
        Path relay = NODE_PEER.resolve("relay.mjs").toAbsolutePath();
        if (!Files.isDirectory(NODE_PEER.resolve("node_modules"))) {
            throw new IllegalStateException(NODE_PEER + "/node_modules is missing: run the benchmark with bin/bench,"
                    + " which installs the peer (npm ci)");
        }
        return start("node", nodes, (n, port) -> {
            List<String> command = new ArrayList<>(List.of("node", relay.toString(), "--port", Integer.toString(port)));
            if (nodes > 1) {
                command.addAll(List.of("--redis", redis, "--key", keyPrefix + "socket.io"));
            }
            return new ProcessBuilder(command);
        });
    }

    /**
     * The netty-socketio relay in a JVM of its own with the same fixed, pre-touched {@code heap} as Lectern's, as many
     * I/O threads as Lectern runs by default ({@code http.ioThreads: 0}) and the classpath {@code bin/bench} built for
     * it.
     */
    static RelayTarget nettySocketIo(String heap) throws Exception {
        Path dir = NETTY_SOCKETIO_PEER.resolve("target").toAbsolutePath();
        if (!Files.isDirectory(dir.resolve("lib"))) {
            throw new IllegalStateException(dir + "/lib is missing: run the benchmark with bin/bench, which builds"
                    + " the peer");
        }
        String classpath = dir.resolve("classes") + java.io.File.pathSeparator + dir.resolve("lib") + "/*";
        return start("netty-socketio", 1, (n, port) -> new ProcessBuilder(ServerJvm.command(heap, classpath,
                List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"),
                "dev.lectern.bench.peers.NettySocketIoRelay", "--port", Integer.toString(port), "--worker-threads",
                Integer.toString(HttpConfig.defaultIoThreads(Runtime.getRuntime().availableProcessors())))));
    }

    String name() {
        return name;
    }

    int nodes() {
        return ports.size();
    }

    int port(int node) {
        return ports.get(node);
    }

    /** The process of each node. */
    List<Process> processes() {
        return processes;
    }

    /** utime + stime of every process of this target so far, in jiffies. */
    long cpuTicks() {
        return AvatarProxyBench.cpuTicks(processes.stream().map(Process::pid).toList());
    }

    /**
     * utime + stime so far, in jiffies, of the JIT compiler threads ({@code C1/C2 CompilerThread}) of this target's
     * JVMs (0 for a Node.js peer): compilation late in a warm-up is charged to the relay's CPU per message.
     */
    long jitTicks() {
        long sum = 0;
        for (Process p : processes) {
            try (var tasks = Files.list(Path.of("/proc", Long.toString(p.pid()), "task"))) {
                for (Path t : tasks.toList()) {
                    try {
                        if (Files.readString(t.resolve("comm")).contains("CompilerThre")) {
                            String stat = Files.readString(t.resolve("stat"));
                            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                        }
                    } catch (IOException | RuntimeException e) {
                        // the thread ended
                    }
                }
            } catch (IOException | RuntimeException e) {
                // exited
            }
        }
        return sum;
    }

    /** The last lines each node printed (for a failure report, before the logs are deleted). */
    void printLogTails(int lines) {
        for (Path log : logs) {
            try {
                List<String> all = Files.readAllLines(log);
                System.err.println("--- " + name + ": " + log + " (last " + lines + " lines)");
                all.subList(Math.max(0, all.size() - lines), all.size()).forEach(System.err::println);
            } catch (IOException e) {
                System.err.println("--- " + log + ": " + e);
            }
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        for (Path log : logs) {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                System.err.println("could not delete " + log + ": " + e);
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Waits up to 3 minutes (a JVM pre-touching its heap on a busy machine is slow) for the port to accept. */
    static void awaitPort(int port, Process server, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited: " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        String out = Files.readString(log);
        throw new IllegalStateException("server did not listen on " + port + " within 3 minutes; its output ends: "
                + out.substring(Math.max(0, out.length() - 4000)));
    }
}
