package dev.lectern.accounts;

import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The repository contract on the embedded default: a SQLite file in a fresh data directory. */
class SqliteAccountRepositoriesTest extends AccountRepositoriesContract {
    @TempDir
    Path data;

    @Override
    protected SqlDatabase newDatabase() {
        return new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString())).storage(),
                null);
    }

    @Override
    protected String expectedKind() {
        return "sqlite";
    }

    @org.junit.jupiter.api.Test
    void sqliteRunsInWalModeWithABusyTimeoutUnderTheDataDirectory() {
        String mode = db.query(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("PRAGMA journal_mode")) {
                rs.next();
                return rs.getString(1);
            }
        });
        int busy = db.query(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("PRAGMA busy_timeout")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        org.assertj.core.api.Assertions.assertThat(mode).isEqualToIgnoringCase("wal");
        org.assertj.core.api.Assertions.assertThat(busy).isEqualTo(5000);
        org.assertj.core.api.Assertions.assertThat(data.resolve("lectern.db")).exists();
    }
}
