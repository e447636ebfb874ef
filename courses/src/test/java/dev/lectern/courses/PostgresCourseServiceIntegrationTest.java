package dev.lectern.courses;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;

class PostgresCourseServiceIntegrationTest extends CourseServiceContract {
    private PostgresTestDatabase database;

    @Override
    protected SqlDatabase newDatabase() {
        database = PostgresTestDatabase.create();
        return database.open();
    }

    @Override
    protected void afterDatabase() {
        database.close();
    }
}
