package dev.lectern.rooms;

import dev.lectern.store.sql.PostgresTestDatabase;
import dev.lectern.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/** The history contract on PostgreSQL, in a database of its own that is dropped afterwards. */
class PostgresHistoryRepositoriesIntegrationTest extends HistoryRepositoriesContract {
    private PostgresTestDatabase pg;

    @Override
    protected SqlDatabase newDatabase() {
        pg = PostgresTestDatabase.create();
        return new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__SQL__URL", pg.url(),
                "LECTERN_STORAGE__SQL__USER", PostgresTestDatabase.USER)).storage(), null);
    }

    @AfterEach
    void dropDatabase() {
        db.close();
        pg.close();
    }
}
