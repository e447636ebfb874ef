package dev.lectern.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Runs inside the transaction that changes the state of jobs (claims, completions, reaps, cancels), so what it writes
 * (an outbound webhook delivery, say) commits or rolls back with the change. Jobs whose kind starts with
 * {@code lectern.} (the engine's own) are not passed.
 */
@FunctionalInterface
public interface JobChangeHook {
    void onStateChanges(Connection connection, List<Job> changed) throws SQLException;
}
