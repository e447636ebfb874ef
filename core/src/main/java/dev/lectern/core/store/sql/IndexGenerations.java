package dev.lectern.core.store.sql;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Per-owner generations of the retrieval indexes ({@code index_generations}): SQL is the source of truth for what an
 * index must hold, and the generation says when that changed. A repository that changes an index's content calls
 * {@link #bump} inside the transaction that records the change; nodes read {@link #read} before a search (one
 * primary-key lookup) and catch up when their index reflects an older generation. Owners are named within a scope
 * ({@code user_files}, later courses), so any per-owner index can use the same table.
 */
public final class IndexGenerations {
    private IndexGenerations() {}

    /** Adds one to the owner's generation and returns the new value (1 for an owner seen the first time). */
    public static long bump(Connection c, String scope, String owner) throws SQLException {
        return Jdbc.one(c, "INSERT INTO index_generations (scope, owner, generation) VALUES (?, ?, 1)"
                        + " ON CONFLICT (scope, owner) DO UPDATE SET generation = index_generations.generation + 1"
                        + " RETURNING generation", rs -> rs.getLong(1), scope, owner)
                .orElseThrow(() -> new SQLException("no generation returned for " + scope + "/" + owner));
    }

    /** The owner's current generation; 0 when nothing was ever recorded for it. */
    public static long read(Connection c, String scope, String owner) throws SQLException {
        return Jdbc.one(c, "SELECT generation FROM index_generations WHERE scope = ? AND owner = ?",
                rs -> rs.getLong(1), scope, owner).orElse(0L);
    }
}
