package dev.lectern.files;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;
import org.junit.jupiter.api.AfterEach;

/** The uploads table on PostgreSQL, in a database of its own that is dropped afterwards. */
class PostgresUserFileRepositoryIntegrationTest extends UserFileRepositoryContract {
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
