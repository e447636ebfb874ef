package dev.lectern.lessons;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;

class PostgresLessonVideoIntegrationTest extends LessonVideoContract {
    private PostgresTestDatabase database;

    @Override
    protected SqlDatabase newDatabase() {
        database = PostgresTestDatabase.create();
        return database.open();
    }

    @Override
    protected void afterDatabase() {
        if (database != null) {
            database.close();
        }
    }
}
