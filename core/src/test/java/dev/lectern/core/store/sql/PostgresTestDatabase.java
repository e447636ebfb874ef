package dev.lectern.core.store.sql;

import dev.lectern.testing.TestServices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A PostgreSQL database of one test run on the shared server (127.0.0.1:5432, user postgres, trust auth):
 * {@code lectern_test_<random>}, created on {@link #create()} and dropped on {@link #close()}. Skips the test (or fails
 * it under {@code CI=true}) when PostgreSQL is not there.
 */
public final class PostgresTestDatabase implements AutoCloseable {
    private static final String ADMIN_URL = "jdbc:postgresql://" + TestServices.POSTGRES_HOST + ":"
            + TestServices.POSTGRES_PORT + "/postgres";
    public static final String USER = "postgres";

    private final String name;

    private PostgresTestDatabase(String name) {
        this.name = name;
    }

    public static PostgresTestDatabase create() {
        TestServices.requirePostgres();
        String name = "lectern_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        admin("CREATE DATABASE " + name);
        return new PostgresTestDatabase(name);
    }

    public String url() {
        return "jdbc:postgresql://" + TestServices.POSTGRES_HOST + ":" + TestServices.POSTGRES_PORT + "/" + name;
    }

    /** A migrated {@link SqlDatabase} on this database, configured like production but for the URL and user. */
    public SqlDatabase open() {
        return new SqlDatabase(dev.lectern.testing.TestConfigs.defaults(java.util.Map.of(
                "LECTERN_STORAGE__SQL__URL", url(), "LECTERN_STORAGE__SQL__USER", USER)).storage(), null);
    }

    public String name() {
        return name;
    }

    private static void admin(String sql) {
        try (Connection c = DriverManager.getConnection(ADMIN_URL, USER, "");
             Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
}
