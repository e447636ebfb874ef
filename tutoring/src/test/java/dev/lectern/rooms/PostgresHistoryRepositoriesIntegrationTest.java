package dev.lectern.rooms;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;
import org.junit.jupiter.api.AfterEach;

/** The history contract on PostgreSQL, in a database of its own that is dropped afterwards. */
class PostgresHistoryRepositoriesIntegrationTest extends HistoryRepositoriesContract {
    private PostgresTestDatabase pg;

    @Override
    protected SqlDatabase newDatabase() {
        pg = PostgresTestDatabase.create();
        return pg.open();
    }

    @AfterEach
    void dropDatabase() {
        db.close();
        pg.close();
    }
}
