package dev.lectern.files;

import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The uploads table on the embedded default: a SQLite file in a fresh data directory. */
class SqliteUserFileRepositoryTest extends UserFileRepositoryContract {
    @TempDir
    Path data;

    @Override
    protected SqlDatabase newDatabase() {
        return new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString())).storage(),
                null);
    }
}
