package dev.lectern.jobs;

import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The engine on the embedded default: one SQLite file, shared by two pools when a test wants two nodes. */
class SqliteJobEngineTest extends JobEngineContract {
    @TempDir
    Path data;

    @Override
    protected SqlDatabase newDatabase() {
        return reopen();
    }

    @Override
    protected SqlDatabase reopen() {
        return new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString())).storage(),
                null);
    }
}
