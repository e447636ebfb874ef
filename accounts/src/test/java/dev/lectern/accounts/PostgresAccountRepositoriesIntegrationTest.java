package dev.lectern.accounts;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.store.StoreUnavailableException;
import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The repository contract on PostgreSQL, in a database of its own that is dropped afterwards. */
class PostgresAccountRepositoriesIntegrationTest extends AccountRepositoriesContract {
    private PostgresTestDatabase pg;

    @Override
    protected SqlDatabase newDatabase() {
        pg = PostgresTestDatabase.create();
        return pg.open();
    }

    @Override
    protected String expectedKind() {
        return "postgresql";
    }

    @AfterEach
    void dropDatabase() {
        db.close();
        pg.close();
    }

    @Test
    void unreachableDatabaseIsStoreUnavailable() {
        int dead = TestServices.freePort();
        assertThatThrownBy(() -> new SqlDatabase(TestConfigs.defaults(Map.of(
                "LECTERN_STORAGE__SQL__URL", "jdbc:postgresql://127.0.0.1:" + dead + "/none",
                "LECTERN_STORAGE__SQL__USER", "postgres")).storage(), null))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("postgresql unavailable");
    }
}
