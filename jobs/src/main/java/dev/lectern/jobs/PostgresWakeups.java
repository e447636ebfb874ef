package dev.lectern.jobs;

import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTENs on {@link JobRepository#NOTIFY_CHANNEL} on one pooled connection it keeps for itself, and wakes the
 * dispatcher on every notification. A lost connection is replaced after a second; the fallback poll covers the gap.
 */
final class PostgresWakeups implements Wakeups {
    private static final Logger logger = LoggerFactory.getLogger(PostgresWakeups.class);

    private final SqlDatabase db;
    private final Runnable onWake;
    private final Thread thread;
    private volatile boolean closed;

    PostgresWakeups(SqlDatabase db, Runnable onWake, String nodeId) {
        this.db = db;
        this.onWake = onWake;
        this.thread = new Thread(this::run, "jobs-listen-" + nodeId);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (!closed) {
            try {
                db.query(c -> {
                    try (Statement s = c.createStatement()) {
                        s.execute("LISTEN " + JobRepository.NOTIFY_CHANNEL);
                    }
                    try {
                        PGConnection pg = c.unwrap(PGConnection.class);
                        onWake.run(); // anything queued while we were not listening
                        while (!closed) {
                            PGNotification[] got = pg.getNotifications(250);
                            if (got != null && got.length > 0) {
                                onWake.run();
                            }
                        }
                    } finally {
                        try (Statement s = c.createStatement()) {
                            s.execute("UNLISTEN *");
                        }
                    }
                    return null;
                });
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                logger.atWarn().addKeyValue("error", e.toString()).log("job wake-up listener lost its connection");
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    @Override
    public void announce() {
        // the NOTIFY is part of the enqueuing transaction
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
