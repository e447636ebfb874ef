package dev.lectern.bench;

import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobQuery;
import dev.lectern.jobs.JobState;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code bin/bench JobsSoak [--jobs 10000] [--killEveryMillis 5000]}: two nodes (engines with their own pools) share a
 * fresh PostgreSQL database and work {@code jobs} jobs of 20 ms each; every {@code killEveryMillis} one
 * node is halted the way {@code kill -9} stops a process (nothing more written, its leases left to run out) and a new
 * node takes its place. At the end every job must be SUCCESS, and each must have been completed (its outcome applied)
 * exactly once; runs of killed workers repeated elsewhere are counted, as at-least-once delivery allows.
 */
public final class JobsSoak {
    private static final String KIND = "soak.work";

    private JobsSoak() {}

    public static void main(String[] args) throws Exception {
        int jobs = arg(args, "--jobs", 10_000);
        long killEvery = arg(args, "--killEveryMillis", 5000);
        String name = "lectern_soak_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        admin("CREATE DATABASE " + name);
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> applied = new ConcurrentHashMap<>();
        try {
            Map<String, String> env = new HashMap<>();
            env.put("LECTERN_STORAGE__DATA_DIR", Files.createTempDirectory("lectern-soak").toString());
            env.put("LECTERN_STORAGE__SQL__URL", "jdbc:postgresql://127.0.0.1:5432/" + name);
            env.put("LECTERN_STORAGE__SQL__USER", "postgres");
            env.put("LECTERN_JOBS__LEASE_MILLIS", "2000");
            env.put("LECTERN_JOBS__HEARTBEAT_MILLIS", "500");
            env.put("LECTERN_JOBS__BACKOFF_BASE_MILLIS", "50");
            env.put("LECTERN_JOBS__BACKOFF_MAX_MILLIS", "500");
            env.put("LECTERN_JOBS__MAX_ATTEMPTS", "20");
            ServerConfig config = ConfigLoader.load(Path.of("config/lectern.yaml"), env);
            try (SqlDatabase a = new SqlDatabase(config.storage(), null);
                 SqlDatabase b = new SqlDatabase(config.storage(), null)) {
                SqlDatabase[] pools = {a, b};
                JobEngine[] nodes = new JobEngine[2];
                for (int i = 0; i < 2; i++) {
                    nodes[i] = node(pools[i], config, runs, applied);
                }
                List<NewJob> batch = new ArrayList<>();
                for (int i = 0; i < jobs; i++) {
                    batch.add(NewJob.of(KIND, "{}"));
                    if (batch.size() == 1000) {
                        nodes[0].enqueueAll(batch);
                        batch.clear();
                    }
                }
                if (!batch.isEmpty()) {
                    nodes[0].enqueueAll(batch);
                }
                long start = System.currentTimeMillis();
                int kills = 0;
                while (nodes[0].list(new JobQuery(null, JobState.SUCCESS, KIND, 1, 0)).total() < jobs) {
                    Thread.sleep(killEvery);
                    int victim = kills % 2;
                    nodes[victim].halt();
                    nodes[victim] = node(pools[victim], config, runs, applied);
                    kills++;
                    System.out.printf(Locale.ROOT, "%5.1f s: killed a node (%d so far); %d jobs done%n",
                            (System.currentTimeMillis() - start) / 1000.0, kills,
                            nodes[0].list(new JobQuery(null, JobState.SUCCESS, KIND, 1, 0)).total());
                }
                for (JobEngine n : nodes) {
                    n.close();
                }
                long done = a.query(c -> dev.lectern.core.store.sql.Jdbc.count(c,
                        "SELECT COUNT(*) FROM job WHERE kind = ? AND state = 'SUCCESS'", KIND));
                long twice = applied.values().stream().filter(n -> n.get() > 1).count();
                long rerun = runs.values().stream().filter(n -> n.get() > 1).count();
                System.out.printf(Locale.ROOT, "%d jobs, %d node kills in %.1f s: %d SUCCESS, %d lost, %d applied twice, "
                                + "%d run again after a kill%n", jobs, kills,
                        (System.currentTimeMillis() - start) / 1000.0, done, jobs - done, twice, rerun);
                if (done != jobs || twice != 0 || applied.size() != jobs) {
                    System.exit(1);
                }
            }
        } finally {
            admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    private static JobEngine node(SqlDatabase db, ServerConfig config, Map<String, AtomicInteger> runs,
                                  Map<String, AtomicInteger> applied) {
        JobEngine e = new JobEngine(db, config.jobs(), null, new SimpleMeterRegistry(), "soak");
        e.register(KIND, KindOptions.DEFAULTS, ctx -> {
            runs.computeIfAbsent(ctx.jobId(), k -> new AtomicInteger()).incrementAndGet();
            Thread.sleep(20);
            return null;
        });
        // an outcome is applied where its completion committed: the listener fires there, once per applied outcome
        e.addListener(job -> {
            if (job.state() == JobState.SUCCESS && job.kind().equals(KIND)) {
                applied.computeIfAbsent(job.id(), k -> new AtomicInteger()).incrementAndGet();
            }
        });
        e.start();
        return e;
    }

    private static void admin(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static int arg(String[] args, String name, int def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return def;
    }
}
