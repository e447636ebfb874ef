package dev.lectern.courses.exams;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;

class PostgresExamLifecycleIntegrationTest extends ExamLifecycleContract {
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
