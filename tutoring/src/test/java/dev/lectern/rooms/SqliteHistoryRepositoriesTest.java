package dev.lectern.rooms;

import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The history contract on the embedded default: a SQLite file in a fresh data directory. */
class SqliteHistoryRepositoriesTest extends HistoryRepositoriesContract {
    @TempDir
    Path data;

    @Override
    protected SqlDatabase newDatabase() {
        return new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString())).storage(),
                null);
    }
}
