package dev.lectern.lessons;

import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.util.Map;

class SqliteLessonVideoTest extends LessonVideoContract {
    @Override
    protected SqlDatabase newDatabase() {
        return new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", dir.resolve("data")
                .toString())).storage(), null);
    }
}
