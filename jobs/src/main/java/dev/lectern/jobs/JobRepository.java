package dev.lectern.jobs;

import dev.lectern.core.store.sql.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of the job table, for both dialects. A claim is one statement: {@code UPDATE … WHERE id IN (SELECT … LIMIT n)
 * RETURNING}, with {@code FOR UPDATE SKIP LOCKED} in the sub-select on PostgreSQL (concurrent claimers skip each
 * other's rows) and SQLite's single writer serialising claims there. Every write by a worker names the lease token it
 * claimed with: once a reaper or another claim has moved the token on, the write changes nothing.
 */
final class JobRepository {
    /** The PostgreSQL NOTIFY channel that wakes the other nodes' dispatchers. */
    static final String NOTIFY_CHANNEL = "lectern_jobs";

    private static final String COLUMNS = "id, kind, state, priority, run_at, attempts, max_attempts, owner, "
            + "idempotency_key, payload, result, error, progress_percent, progress_message, partial_result, "
            + "lease_owner, lease_until, lease_token, cancel_requested, created_at, updated_at, started_at, finished_at";
    private static final String READY = "state IN ('PENDING', 'RETRY')";

    private final boolean postgres;

    JobRepository(String sqlKind) {
        this.postgres = "postgresql".equals(sqlKind);
    }

    boolean postgres() {
        return postgres;
    }

    /** The job as written (or found under its idempotency key); {@code waiting} is its PENDING row as enqueued. */
    record Inserted(Job job, boolean created, Job waiting) {}

    /** A completion to write: the state it moves to, fenced by the token of the claim. */
    record Outcome(Job job, JobState state, String result, String error, long runAt) {}

    /** A lease this node still holds, as the heartbeat found it. */
    record Lease(String id, long token, boolean cancelRequested) {}

    /** The claim of a job made as it is inserted (handed straight to an idle worker of the enqueuing node). */
    record ClaimedBy(String nodeId, long leaseUntil) {}

    Inserted insert(Connection c, NewJob job, int maxAttempts, long now) throws SQLException {
        return insert(c, job, maxAttempts, now, null);
    }

    /**
     * Inserts a job: waiting (PENDING; on PostgreSQL the same statement NOTIFYs the other nodes, woken at commit) or,
     * with {@code claim}, already claimed by that node (STARTED, first attempt, lease token 1: what a claim of the
     * waiting row would have written, without a second statement and without waking any other node).
     */
    Inserted insert(Connection c, NewJob job, int maxAttempts, long now, ClaimedBy claim) throws SQLException {
        String id = UUID.randomUUID().toString();
        long runAt = job.runAtMillis() <= 0 ? now : job.runAtMillis();
        String conflict = job.idempotencyKey() == null ? "" : " ON CONFLICT (idempotency_key) DO NOTHING";
        String columns = "INSERT INTO job (id, kind, priority, run_at, max_attempts, owner, idempotency_key, payload, "
                + "created_at, updated_at, cancel_requested, state, attempts, lease_token";
        int n;
        if (claim == null) {
            String values = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'PENDING', 0, 0";
            n = Jdbc.update(c, columns + ") " + (postgres
                            ? "SELECT " + values + " FROM (SELECT pg_notify('" + NOTIFY_CHANNEL + "', '')) AS wake"
                            : "VALUES (" + values + ")") + conflict, id, job.kind(), job.priority(), runAt,
                    maxAttempts, job.owner(), job.idempotencyKey(), job.payload(), now, now);
        } else {
            n = Jdbc.update(c, columns + ", lease_owner, lease_until, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                            + "0, 'STARTED', 1, 1, ?, ?, ?)" + conflict, id, job.kind(), job.priority(), runAt,
                    maxAttempts, job.owner(), job.idempotencyKey(), job.payload(), now, now, claim.nodeId(),
                    claim.leaseUntil(), now);
        }
        if (n == 0) {
            Job existing = Jdbc.one(c, "SELECT " + COLUMNS + " FROM job WHERE idempotency_key = ?", JobRepository::map,
                    job.idempotencyKey()).orElseThrow(() -> new SQLException("idempotency key vanished"));
            return new Inserted(existing, false, existing);
        }
        Job inserted = new Job(id, job.kind(), JobState.PENDING, job.priority(), runAt, 0, maxAttempts, job.owner(),
                job.idempotencyKey(), job.payload(), null, null, null, null, null, null, null, 0, false, now, now,
                null, null);
        return new Inserted(claim == null ? inserted : inserted.claimed(claim.nodeId(), claim.leaseUntil(), now), true,
                inserted);
    }

    /** On PostgreSQL, wakes every listening node when the transaction commits (nothing on SQLite: one process). */
    void notifyOthers(Connection c) throws SQLException {
        if (postgres) {
            Jdbc.one(c, "SELECT pg_notify(?, '')", rs -> Boolean.TRUE, NOTIFY_CHANNEL);
        }
    }

    /**
     * On PostgreSQL, the head of a statement that lets its transaction commit without waiting for the WAL flush
     * ({@code synchronous_commit} off for this transaction only, set by the statement itself: no round trip of its
     * own); the statement must name {@code relaxed} in a FROM. Only for the engine's own claims and completions: one
     * lost in a crash leaves the job claimable or leased, so it runs again (at least once, as always); an enqueue is
     * never written this way.
     */
    private static final String RELAXED = "WITH relaxed AS MATERIALIZED "
            + "(SELECT set_config('synchronous_commit', 'off', true) AS relaxed_commit) ";

    /**
     * Where a claim of the queue in claim order stopped: the priority and run_at of the last job it took. Every job
     * waiting before that point was taken (by this claim or, locked when it looked, by another claimer).
     */
    record ClaimBound(int priority, long runAt) {}

    List<Job> claim(Connection c, Collection<String> kinds, int limit, String nodeId, long leaseUntil, long now)
            throws SQLException {
        return claim(c, kinds, limit, nodeId, leaseUntil, now, null);
    }

    /**
     * Claims up to {@code limit} due jobs of these kinds in claim order (priority, then run_at, then id). With a
     * {@code from} bound, only jobs of that priority from its run_at on: the index scan starts there instead of at the
     * head of the queue, where the entries of jobs already claimed lie. PostgreSQL cannot drop those entries while any
     * transaction of the cluster is older than the claims (a report, another service's open transaction): a claim
     * from the head then reads every job claimed since, and a drain of n jobs costs n² (see {@code JobEngine}).
     */
    List<Job> claim(Connection c, Collection<String> kinds, int limit, String nodeId, long leaseUntil, long now,
                    ClaimBound from) throws SQLException {
        List<Object> params = new ArrayList<>(List.of(nodeId, leaseUntil, now, now));
        params.addAll(kinds);
        params.add(now);
        if (from != null) {
            params.add(from.priority());
            params.add(from.runAt());
        }
        params.add(limit);
        String pick = "SELECT id FROM job WHERE " + READY + " AND kind IN (" + marks(kinds.size()) + ") "
                + "AND run_at <= ? " + (from == null ? "" : "AND priority = ? AND run_at >= ? ")
                + "ORDER BY priority DESC, run_at, id LIMIT ?";
        // PostgreSQL: the ids as an array, so the outer UPDATE looks each up by primary key whatever the plan cache
        // guesses of LIMIT ? (a generic plan chose a hash join over the whole table)
        String sql = postgres
                ? RELAXED + "UPDATE job SET state = 'STARTED', lease_owner = ?, lease_until = ?, "
                        + "attempts = attempts + 1, lease_token = lease_token + 1, started_at = ?, updated_at = ? "
                        + "FROM relaxed WHERE job.id = ANY(ARRAY(" + pick + " FOR UPDATE SKIP LOCKED)) RETURNING "
                        + COLUMNS.replaceAll("(^|, )", "$1job.")
                : "UPDATE job SET state = 'STARTED', lease_owner = ?, lease_until = ?, attempts = attempts + 1, "
                        + "lease_token = lease_token + 1, started_at = ?, updated_at = ? WHERE id IN (" + pick + ") "
                        + "RETURNING " + COLUMNS;
        return Jdbc.list(c, sql, JobRepository::map, params.toArray());
    }

    /** The earliest run_at among waiting jobs of these kinds, if any. */
    Optional<Long> nextRunAt(Connection c, Collection<String> kinds) throws SQLException {
        long next = Jdbc.one(c, "SELECT MIN(run_at) FROM job WHERE " + READY + " AND kind IN ("
                + marks(kinds.size()) + ")", rs -> {
                    long v = rs.getLong(1);
                    return rs.wasNull() ? -1L : v;
                }, kinds.toArray()).orElse(-1L);
        return next < 0 ? Optional.empty() : Optional.of(next);
    }

    /**
     * Writes completions; element i is true when outcome i was applied (its lease was still held). On PostgreSQL one
     * statement for the whole batch (the outcomes as arrays, unnested), relaxed like a claim; on SQLite a JDBC batch
     * (no network between it and the file).
     */
    boolean[] finish(Connection c, List<Outcome> outcomes, long now) throws SQLException {
        boolean[] applied = postgres ? finishPostgres(c, outcomes, now) : finishSqlite(c, outcomes, now);
        if (outcomes.stream().anyMatch(o -> o.state() == JobState.RETRY)) {
            notifyOthers(c);
        }
        return applied;
    }

    private static boolean[] finishPostgres(Connection c, List<Outcome> outcomes, long now) throws SQLException {
        int n = outcomes.size();
        String[] ids = new String[n];
        Long[] tokens = new Long[n];
        String[] states = new String[n];
        String[] results = new String[n];
        String[] errors = new String[n];
        Long[] runAts = new Long[n];
        for (int i = 0; i < n; i++) {
            Outcome o = outcomes.get(i);
            ids[i] = o.job().id();
            tokens[i] = o.job().leaseToken();
            states[i] = o.state().name();
            results[i] = o.result();
            errors[i] = truncate(o.error(), 2000);
            runAts[i] = o.runAt();
        }
        // the rows are locked in id order first, as the heartbeat locks them: two statements locking the same rows
        // in different orders deadlock, and a completion or renewal that PostgreSQL aborts lets leases run out
        String sql = RELAXED + ", outcome AS (SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], "
                + "?::text[], ?::bigint[]) AS o(id, token, state, result, error, run_at)), "
                + "locked AS MATERIALIZED (SELECT job.id FROM job WHERE job.id IN (SELECT id FROM outcome) "
                + "ORDER BY job.id FOR UPDATE) "
                + "UPDATE job SET state = outcome.state, result = outcome.result, error = outcome.error, "
                + "run_at = outcome.run_at, finished_at = CASE WHEN outcome.state = 'RETRY' THEN NULL ELSE ? END, "
                + "updated_at = ?, progress_percent = CASE WHEN outcome.state = 'SUCCESS' THEN 100 "
                + "ELSE job.progress_percent END, lease_owner = NULL, lease_until = NULL FROM outcome, locked, relaxed "
                + "WHERE job.id = outcome.id AND job.id = locked.id AND job.lease_token = outcome.token AND job.state = 'STARTED' "
                + "RETURNING job.id";
        java.util.Set<String> done = new java.util.HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", ids));
            ps.setArray(2, c.createArrayOf("bigint", tokens));
            ps.setArray(3, c.createArrayOf("text", states));
            ps.setArray(4, c.createArrayOf("text", results));
            ps.setArray(5, c.createArrayOf("text", errors));
            ps.setArray(6, c.createArrayOf("bigint", runAts));
            ps.setLong(7, now);
            ps.setLong(8, now);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    done.add(rs.getString(1));
                }
            }
        }
        boolean[] applied = new boolean[n];
        for (int i = 0; i < n; i++) {
            applied[i] = done.contains(ids[i]);
        }
        return applied;
    }

    private static boolean[] finishSqlite(Connection c, List<Outcome> outcomes, long now) throws SQLException {
        String sql = "UPDATE job SET state = ?, result = ?, error = ?, run_at = ?, finished_at = ?, updated_at = ?, "
                + "progress_percent = CASE WHEN ? = 'SUCCESS' THEN 100 ELSE progress_percent END, "
                + "lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_token = ? AND state = 'STARTED'";
        boolean[] applied = new boolean[outcomes.size()];
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (Outcome o : outcomes) {
                ps.setString(1, o.state().name());
                setText(ps, 2, o.result());
                setText(ps, 3, truncate(o.error(), 2000));
                ps.setLong(4, o.runAt());
                if (o.state().isFinal()) {
                    ps.setLong(5, now);
                } else {
                    ps.setNull(5, Types.BIGINT);
                }
                ps.setLong(6, now);
                ps.setString(7, o.state().name());
                ps.setString(8, o.job().id());
                ps.setLong(9, o.job().leaseToken());
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                applied[i] = counts[i] > 0 || counts[i] == java.sql.Statement.SUCCESS_NO_INFO;
            }
        }
        return applied;
    }

    /** Renews the leases of these jobs that this node still holds; says which it holds and which were asked to cancel. */
    List<Lease> heartbeat(Connection c, String nodeId, Collection<String> ids, long leaseUntil) throws SQLException {
        if (postgres) { // rows locked in id order, as a batch of completions locks them (see finishPostgres)
            return Jdbc.list(c, "WITH locked AS MATERIALIZED (SELECT id FROM job WHERE state = 'STARTED' AND id IN ("
                    + marks(ids.size()) + ") ORDER BY id FOR UPDATE) UPDATE job SET lease_until = ? FROM locked "
                    + "WHERE job.id = locked.id AND job.lease_owner = ? AND job.state = 'STARTED' "
                    + "RETURNING job.id, job.lease_token, job.cancel_requested", rs -> new Lease(rs.getString(1),
                    rs.getLong(2), rs.getInt(3) != 0), postgresHeartbeatParams(ids, leaseUntil, nodeId));
        }
        List<Object> params = new ArrayList<>(List.of(leaseUntil, nodeId));
        params.addAll(ids);
        return Jdbc.list(c, "UPDATE job SET lease_until = ? WHERE lease_owner = ? AND state = 'STARTED' AND id IN ("
                + marks(ids.size()) + ") RETURNING id, lease_token, cancel_requested", rs -> new Lease(rs.getString(1),
                rs.getLong(2), rs.getInt(3) != 0), params.toArray());
    }

    private static Object[] postgresHeartbeatParams(Collection<String> ids, long leaseUntil, String nodeId) {
        List<Object> params = new ArrayList<>(ids);
        params.add(leaseUntil);
        params.add(nodeId);
        return params.toArray();
    }

    /** Started jobs whose lease ran out (their worker died or was cut off). */
    List<Job> expired(Connection c, long now, int limit) throws SQLException {
        return Jdbc.list(c, "SELECT " + COLUMNS + " FROM job WHERE state = 'STARTED' AND lease_until < ? "
                + "ORDER BY lease_until LIMIT ?", JobRepository::map, now, limit);
    }

    /** Moves an expired job on (RETRY or FAILURE), fenced by its token so a late heartbeat cannot race it. */
    boolean reap(Connection c, Job job, JobState state, long runAt, String error, long now) throws SQLException {
        return Jdbc.update(c, "UPDATE job SET state = ?, run_at = ?, error = ?, updated_at = ?, "
                        + "finished_at = CASE WHEN ? = 'FAILURE' THEN ? ELSE finished_at END, "
                        + "lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_token = ? AND state = 'STARTED' "
                        + "AND lease_until < ?", state.name(), runAt, truncate(error, 2000), now, state.name(), now,
                job.id(), job.leaseToken(), now) > 0;
    }

    /** Records progress of a run that still holds its lease. */
    boolean progress(Connection c, Job job, double percent, String message, String partial, long now)
            throws SQLException {
        return Jdbc.update(c, "UPDATE job SET progress_percent = ?, progress_message = ?, partial_result = ?, "
                        + "updated_at = ? WHERE id = ? AND lease_token = ? AND state = 'STARTED'", percent,
                truncate(message, 500), partial, now, job.id(), job.leaseToken()) > 0;
    }

    /** A claimed job this node will not run after all (shutdown): back to the queue, its attempt not counted. */
    boolean release(Connection c, Job job, long now) throws SQLException {
        return Jdbc.update(c, "UPDATE job SET state = CASE WHEN attempts > 1 THEN 'RETRY' ELSE 'PENDING' END, "
                        + "attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, started_at = NULL, updated_at = ? "
                        + "WHERE id = ? AND lease_token = ? AND state = 'STARTED'", now, job.id(), job.leaseToken()) > 0;
    }

    /** A waiting job goes straight to REVOKED. */
    boolean revokeWaiting(Connection c, String id, long now) throws SQLException {
        return Jdbc.update(c, "UPDATE job SET state = 'REVOKED', cancel_requested = 1, finished_at = ?, updated_at = ? "
                + "WHERE id = ? AND " + READY, now, now, id) > 0;
    }

    /** A running job is asked to stop; its worker sees it within one heartbeat. */
    boolean requestCancel(Connection c, String id, long now) throws SQLException {
        return Jdbc.update(c, "UPDATE job SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state = 'STARTED'",
                now, id) > 0;
    }

    /** A failed or revoked job is queued again with fresh attempts. */
    boolean retry(Connection c, String id, long now) throws SQLException {
        boolean done = Jdbc.update(c, "UPDATE job SET state = 'PENDING', attempts = 0, run_at = ?, cancel_requested = 0, "
                + "result = NULL, error = NULL, progress_percent = NULL, progress_message = NULL, partial_result = NULL, "
                + "started_at = NULL, finished_at = NULL, updated_at = ? WHERE id = ? AND state IN ('FAILURE', 'REVOKED')",
                now, now, id) > 0;
        if (done) {
            notifyOthers(c);
        }
        return done;
    }

    Optional<Job> find(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT " + COLUMNS + " FROM job WHERE id = ?", JobRepository::map, id);
    }

    JobPage list(Connection c, JobQuery q) throws SQLException {
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (q.owner() != null) {
            where.append(" AND owner = ?");
            params.add(q.owner());
        }
        if (q.state() != null) {
            where.append(" AND state = ?");
            params.add(q.state().name());
        }
        if (q.kind() != null) {
            where.append(" AND kind = ?");
            params.add(q.kind());
        }
        long total = Jdbc.count(c, "SELECT COUNT(*) FROM job" + where, params.toArray());
        params.add(q.limit());
        params.add(q.offset());
        List<Job> jobs = Jdbc.list(c, "SELECT " + COLUMNS + " FROM job" + where
                + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", JobRepository::map, params.toArray());
        return new JobPage(jobs, total);
    }

    /**
     * Refreshes the planner's statistics of the job table (PostgreSQL). A claim's plan rests on them: on a table
     * whose waiting rows outgrew them, the planner reads and sorts every waiting row for each claim of a few
     * (measured: 25-50 ms a claim with 20,000 waiting, against 0.3 ms), and autovacuum comes only at its next nap.
     */
    void analyze(Connection c) throws SQLException {
        if (postgres) {
            // in a transaction: a VACUUM holding the table's lock makes this give up, not wait (nor cancel it long)
            Jdbc.update(c, "SET LOCAL lock_timeout = '200ms'");
            Jdbc.update(c, "ANALYZE job");
        }
    }

    /** Jobs by kind and state, for the depth gauges. */
    Map<List<String>, Long> depth(Connection c) throws SQLException {
        Map<List<String>, Long> out = new HashMap<>();
        for (Object[] row : Jdbc.list(c, "SELECT kind, state, COUNT(*) FROM job GROUP BY kind, state",
                rs -> new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3)})) {
            out.put(List.of((String) row[0], (String) row[1]), (Long) row[2]);
        }
        return out;
    }

    static Job map(ResultSet rs) throws SQLException {
        double percent = rs.getDouble("progress_percent");
        Double progress = rs.wasNull() ? null : percent;
        return new Job(rs.getString("id"), rs.getString("kind"), JobState.valueOf(rs.getString("state")),
                rs.getInt("priority"), rs.getLong("run_at"), rs.getInt("attempts"), rs.getInt("max_attempts"),
                rs.getString("owner"), rs.getString("idempotency_key"), rs.getString("payload"),
                rs.getString("result"), rs.getString("error"), progress, rs.getString("progress_message"),
                rs.getString("partial_result"), rs.getString("lease_owner"), nullableLong(rs, "lease_until"),
                rs.getLong("lease_token"), rs.getInt("cancel_requested") != 0, rs.getLong("created_at"),
                rs.getLong("updated_at"), nullableLong(rs, "started_at"), nullableLong(rs, "finished_at"));
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static void setText(PreparedStatement ps, int index, String value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, value);
        }
    }

    static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    static String marks(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("no kinds");
        }
        return "?" + ", ?".repeat(n - 1);
    }
}
