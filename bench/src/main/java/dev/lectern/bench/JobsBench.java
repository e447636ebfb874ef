package dev.lectern.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.JobsConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobState;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code bin/bench JobsBench [--jobs 20000] [--trickle 2000] [--rate 200] [--workers 4] [--rounds 1]
 * [--only sqlite,pg,celery]}: the job engine with no-op
 * jobs, with the shipped {@code jobs} settings (but for {@code --workers}), and Celery 5 running the same no-op task in
 * the same run.
 *
 * <ul>
 *   <li>Throughput: {@code jobs} jobs are queued first, then the workers start; jobs/s = jobs / (last completion
 *       committed − first run started). On SQLite (one node), on PostgreSQL with two nodes (two engines in this JVM,
 *       each with its own pool, sharing one database), and for Celery (Redis broker and result backend, a prefork
 *       worker of as many processes, jobs / (last run − first run)).</li>
 *   <li>Pickup latency: {@code trickle} jobs queued one at a time at {@code rate}/s; from the enqueue call to the
 *       handler's first line. On SQLite, on PostgreSQL one node, on PostgreSQL across nodes (queued by a node with no
 *       workers, run by the other: the wake-up is LISTEN/NOTIFY), and for Celery.</li>
 * </ul>
 * With {@code --rounds R} the systems run R times, in reverse order every other round, and the summary gives the median
 * and the range of each figure and of the per-round ratios to Celery. Every run checks that no job ran twice. The PostgreSQL database is created at 127.0.0.1:5432 and dropped after.
 */
public final class JobsBench {
    private static final String KIND = "bench.noop";

    private JobsBench() {}

    /** leasesLost and retried: the engines' own counters, so that a job that ran twice can be told from a lease lost. */
    record Throughput(long jobs, double seconds, long duplicates, long leasesLost, long retried) {
        double perSecond() {
            return jobs / seconds;
        }
    }

    record Pickup(double p50, double p99, double max) {}

    public static void main(String[] args) throws Exception {
        int jobs = intArg(args, "--jobs", 20_000);
        int trickle = intArg(args, "--trickle", 2_000);
        int rate = intArg(args, "--rate", 200);
        int workers = intArg(args, "--workers", 4);
        int rounds = intArg(args, "--rounds", 1);
        List<String> systems = List.of(stringArg(args, "--only", "sqlite,pg,celery").split(","));
        Map<String, String> base = Map.of("LECTERN_JOBS__WORKERS", Integer.toString(workers));

        Path dir = Files.createTempDirectory("lectern-jobs-bench");
        System.out.printf(Locale.ROOT, "JobsBench: %d jobs preloaded, %d trickled at %d/s, %d workers per node, %d"
                + " round(s) of %s%n", jobs, trickle, rate, workers, rounds, systems);

        Map<String, List<Double>> figures = new java.util.LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            // alternate the order from round to round: a load that drifts during the run then favours no system
            List<String> order = new ArrayList<>(systems);
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            System.out.printf(Locale.ROOT, "round %d (%s), load average %s%n", round, order, loadAverage());
            for (String system : order) {
                switch (system) {
                    case "sqlite" -> sqlite(dir, base, jobs, trickle, rate, figures);
                    case "pg" -> postgres(dir, base, jobs, trickle, rate, figures);
                    case "celery" -> {
                        try {
                            Object[] celery = celery(dir, jobs, trickle, rate, workers);
                            Throughput t = (Throughput) celery[0];
                            Pickup p = (Pickup) celery[1];
                            report("Celery 5 (Redis), 1 worker", t, p);
                            record(figures, "celery", t, p);
                        } catch (Exception e) {
                            System.out.println("Celery: not measured (" + e.getMessage() + ")");
                        }
                    }
                    default -> throw new IllegalArgumentException("--only: sqlite, pg, celery");
                }
            }
        }

        System.out.println();
        System.out.printf(Locale.ROOT, "median [min-max] of %d round(s), load average now %s%n", rounds, loadAverage());
        figures.forEach((name, values) -> System.out.printf(Locale.ROOT, "  %-22s %s%n", name, spread(values)));
        double sqliteT = median(figures.get("sqlite jobs/s"));
        double pgT = median(figures.get("pg jobs/s"));
        double sqliteP = median(figures.get("sqlite p99 ms"));
        double pgP = median(figures.get("pg p99 ms"));
        double acrossP = median(figures.get("pg across p99 ms"));
        System.out.printf(Locale.ROOT, "targets (medians): SQLite >= 1000 jobs/s: %s (%.0f); PostgreSQL 2 nodes >= 2000"
                        + " jobs/s: %s (%.0f); pickup p99 <= 50 ms one node: %s (%.1f SQLite, %.1f PostgreSQL);"
                        + " <= 250 ms across: %s (%.1f)%n",
                sqliteT >= 1000, sqliteT, pgT >= 2000, pgT, sqliteP <= 50 && pgP <= 50, sqliteP, pgP,
                acrossP <= 250, acrossP);
        if (figures.containsKey("celery jobs/s")) {
            // per round, Lectern / Celery of that round: the ratios cancel most of a shared machine's load
            System.out.printf(Locale.ROOT, "against Celery, per round: throughput x %s (SQLite), x %s (PostgreSQL 2"
                            + " nodes); pickup p99 x %s (SQLite), x %s (PostgreSQL) of Celery's (below 1 = faster)%n",
                    spread(ratios(figures.get("sqlite jobs/s"), figures.get("celery jobs/s"))),
                    spread(ratios(figures.get("pg jobs/s"), figures.get("celery jobs/s"))),
                    spread(ratios(figures.get("sqlite p99 ms"), figures.get("celery p99 ms"))),
                    spread(ratios(figures.get("pg p99 ms"), figures.get("celery p99 ms"))));
        }
    }

    private static void sqlite(Path dir, Map<String, String> base, int jobs, int trickle, int rate,
                               Map<String, List<Double>> figures) throws Exception {
        Map<String, String> sqliteEnv = new HashMap<>(base);
        sqliteEnv.put("LECTERN_STORAGE__DATA_DIR", Files.createTempDirectory(dir, "sqlite").toString());
        ServerConfig sqliteConfig = ConfigLoader.load(Path.of("config/lectern.yaml"), sqliteEnv);
        Throughput t;
        Pickup p;
        try (SqlDatabase db = new SqlDatabase(sqliteConfig.storage(), null)) {
            t = throughput(List.of(db), sqliteConfig.jobs(), jobs);
            p = pickup(db, db, sqliteConfig.jobs(), trickle, rate, true);
        }
        report("SQLite, 1 node", t, p);
        record(figures, "sqlite", t, p);
    }

    private static void postgres(Path dir, Map<String, String> base, int jobs, int trickle, int rate,
                                 Map<String, List<Double>> figures) throws Exception {
        String pgName = "lectern_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        admin("CREATE DATABASE " + pgName);
        Throughput t;
        Pickup one;
        Pickup across;
        try {
            Map<String, String> pgEnv = new HashMap<>(base);
            pgEnv.put("LECTERN_STORAGE__DATA_DIR", dir.toString());
            pgEnv.put("LECTERN_STORAGE__SQL__URL", "jdbc:postgresql://127.0.0.1:5432/" + pgName);
            pgEnv.put("LECTERN_STORAGE__SQL__USER", "postgres");
            ServerConfig pg = ConfigLoader.load(Path.of("config/lectern.yaml"), pgEnv);
            try (SqlDatabase a = new SqlDatabase(pg.storage(), null);
                 SqlDatabase b = new SqlDatabase(pg.storage(), null)) {
                t = throughput(List.of(a, b), pg.jobs(), jobs);
                one = pickup(a, a, pg.jobs(), trickle, rate, true);
                across = pickup(a, b, pg.jobs(), trickle, rate, false);
            }
        } finally {
            admin("DROP DATABASE IF EXISTS " + pgName + " WITH (FORCE)");
        }
        report("PostgreSQL, 2 nodes", t, one);
        System.out.printf(Locale.ROOT, "  pickup across nodes (queued on one, run on the other): p50 %.1f ms, p99 %.1f ms,"
                + " max %.1f ms%n", across.p50(), across.p99(), across.max());
        record(figures, "pg", t, one);
        figures.computeIfAbsent("pg across p99 ms", k -> new ArrayList<>()).add(across.p99());
    }

    private static long count(List<SimpleMeterRegistry> meters, String name) {
        return (long) meters.stream().flatMap(m -> m.find(name).counters().stream()).mapToDouble(c -> c.count()).sum();
    }

    private static void record(Map<String, List<Double>> figures, String system, Throughput t, Pickup p) {
        figures.computeIfAbsent(system + " jobs/s", k -> new ArrayList<>()).add(t.perSecond());
        figures.computeIfAbsent(system + " p50 ms", k -> new ArrayList<>()).add(p.p50());
        figures.computeIfAbsent(system + " p99 ms", k -> new ArrayList<>()).add(p.p99());
    }

    private static List<Double> ratios(List<Double> a, List<Double> b) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; a != null && b != null && i < Math.min(a.size(), b.size()); i++) {
            out.add(a.get(i) / b.get(i));
        }
        return out;
    }

    private static double median(List<Double> values) {
        if (values == null || values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String spread(List<Double> values) {
        if (values.isEmpty()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f [%.2f-%.2f]", median(values),
                values.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                values.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static void report(String what, Throughput t, Pickup p) {
        System.out.printf(Locale.ROOT, "%-28s %8.0f jobs/s (%d in %.2f s, %d ran twice, %d leases lost, %d retried)"
                        + "   pickup p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", what, t.perSecond(), t.jobs(), t.seconds(),
                t.duplicates(), t.leasesLost(), t.retried(), p.p50(), p.p99(), p.max());
    }

    /** Queues {@code n} no-op jobs, then starts one engine per database and times the drain. */
    private static Throughput throughput(List<SqlDatabase> nodes, JobsConfig config, int n) throws Exception {
        Set<String> ran = ConcurrentHashMap.newKeySet();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong firstStart = new AtomicLong(Long.MAX_VALUE);
        CountDownLatch done = new CountDownLatch(n);
        List<JobEngine> engines = new ArrayList<>();
        List<SimpleMeterRegistry> meters = new ArrayList<>(); // one per node, as each node has its own /metrics
        for (SqlDatabase db : nodes) {
            SimpleMeterRegistry nodeMeters = new SimpleMeterRegistry();
            meters.add(nodeMeters);
            JobEngine e = new JobEngine(db, config, null, nodeMeters, "bench");
            e.register(KIND, KindOptions.DEFAULTS, ctx -> {
                firstStart.accumulateAndGet(System.nanoTime(), Math::min);
                if (!ran.add(ctx.jobId())) {
                    duplicates.incrementAndGet();
                }
                return null;
            });
            e.addListener(job -> {
                if (job.state() == JobState.SUCCESS && job.kind().equals(KIND)) {
                    done.countDown();
                }
            });
            engines.add(e);
        }
        try {
            List<NewJob> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batch.add(NewJob.of(KIND, "0"));
                if (batch.size() == 1000 || i == n - 1) {
                    engines.get(0).enqueueAll(batch);
                    batch.clear();
                }
            }
            engines.forEach(JobEngine::start);
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("jobs not done: " + done.getCount() + " left");
            }
            double seconds = (System.nanoTime() - firstStart.get()) / 1e9;
            return new Throughput(n, seconds, duplicates.get(), count(meters, "lectern.jobs.lease.lost"),
                    count(meters, "lectern.jobs.retries"));
        } finally {
            engines.forEach(JobEngine::close);
            nodes.get(0).query(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("DELETE FROM job");
                }
                return null;
            });
        }
    }

    /** Queues jobs one at a time at {@code rate}/s on {@code producerDb}, run by an engine on {@code workerDb}. */
    private static Pickup pickup(SqlDatabase producerDb, SqlDatabase workerDb, JobsConfig config, int n, int rate,
                                 boolean sameNode) throws Exception {
        LatencyHistogram latency = new LatencyHistogram();
        CountDownLatch done = new CountDownLatch(n);
        JobsConfig producerConfig = new JobsConfig(0, config.helloRoutes(), config.leaseMillis(),
                config.heartbeatMillis(), config.pollMillis(), config.maxAttempts(), config.backoffBaseMillis(),
                config.backoffMaxMillis(), config.timeoutMillis(), config.kinds(), config.webhooks());
        JobEngine worker = new JobEngine(workerDb, config, null, new SimpleMeterRegistry(), "worker");
        JobEngine producer = sameNode ? worker
                : new JobEngine(producerDb, producerConfig, null, new SimpleMeterRegistry(), "producer");
        worker.register(KIND, KindOptions.DEFAULTS, ctx -> {
            latency.record(System.nanoTime() - Long.parseLong(ctx.payload()));
            done.countDown();
            return null;
        });
        try {
            worker.start();
            producer.start();
            for (int i = 0; i < Math.min(200, n); i++) { // warm-up, not counted
                producer.enqueue(NewJob.of(KIND, Long.toString(System.nanoTime())));
            }
            while (done.getCount() > n - Math.min(200, n)) {
                Thread.sleep(10);
            }
            Thread.sleep(500);
            latency.reset();
            CountDownLatch measured = new CountDownLatch(n);
            worker.addListener(job -> {
                if (job.state() == JobState.SUCCESS) {
                    measured.countDown();
                }
            });
            long start = System.nanoTime();
            long interval = 1_000_000_000L / rate;
            for (int i = 0; i < n; i++) {
                producer.enqueue(NewJob.of(KIND, Long.toString(System.nanoTime())));
                long next = start + (i + 1) * interval;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            if (!measured.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("trickled jobs not done");
            }
            LatencyHistogram.Snapshot s = latency.snapshot();
            return new Pickup(s.millis(0.5), s.millis(0.99), s.maxMillis());
        } finally {
            if (producer != worker) {
                producer.close();
            }
            worker.close();
            producerDb.query(c -> {
                try (Statement st = c.createStatement()) {
                    st.execute("DELETE FROM job");
                }
                return null;
            });
        }
    }

    /** The same two measurements with Celery 5 (Debian's python3-celery) and the Redis at 127.0.0.1:6379. */
    private static Object[] celery(Path dir, int jobs, int trickle, int rate, int workers) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Path script = dir.resolve("celery_bench.py");
        try (InputStream in = JobsBench.class.getResourceAsStream("/jobsbench/celery_bench.py")) {
            Files.write(script, in.readAllBytes());
        }
        String queue = "lectern-jobsbench-" + UUID.randomUUID();
        Map<String, String> env = Map.of("BENCH_BROKER", "redis://127.0.0.1:6379/0", "BENCH_QUEUE", queue);
        Path ids = dir.resolve("celery-ids.json");
        run(env, dir, python.toString(), script.toString(), "preload", Integer.toString(jobs), ids.toString());
        Process worker = start(env, dir, python.toString(), script.toString(), "worker", Integer.toString(workers));
        try {
            JsonNode drain = Json.MAPPER.readTree(run(env, dir, python.toString(), script.toString(), "drain",
                    ids.toString()));
            Throughput t = new Throughput(drain.get("n").asLong(), drain.get("seconds").asDouble(), 0, 0, 0);
            JsonNode p = Json.MAPPER.readTree(run(env, dir, python.toString(), script.toString(), "trickle",
                    Integer.toString(trickle), Integer.toString(rate)));
            return new Object[] {t, new Pickup(p.get("p50").asDouble(), p.get("p99").asDouble(),
                    p.get("max").asDouble())};
        } finally {
            worker.descendants().forEach(ProcessHandle::destroy);
            worker.destroy();
            if (!worker.waitFor(10, TimeUnit.SECONDS)) {
                worker.descendants().forEach(ProcessHandle::destroyForcibly);
                worker.destroyForcibly();
            }
            run(Map.of(), dir, "redis-cli", "-h", "127.0.0.1", "DEL", queue);
        }
    }

    private static Process start(Map<String, String> env, Path dir, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("celery-worker.log").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    private static String run(Map<String, String> env, Path dir, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
        return out.strip();
    }

    private static void admin(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String stringArg(String[] args, String name, String def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return def;
    }

    private static int intArg(String[] args, String name, int def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return def;
    }
}
