package dev.lectern.jobs;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;

/** The engine on PostgreSQL (claims with FOR UPDATE SKIP LOCKED, wake-ups by LISTEN/NOTIFY), in a database of its own. */
class PostgresJobEngineIntegrationTest extends JobEngineContract {
    private PostgresTestDatabase database;

    @Override
    protected SqlDatabase newDatabase() {
        database = PostgresTestDatabase.create();
        return database.open();
    }

    @Override
    protected SqlDatabase reopen() {
        return database.open();
    }

    @Override
    protected void afterDatabases() {
        if (database != null) {
            database.close();
        }
    }
}
