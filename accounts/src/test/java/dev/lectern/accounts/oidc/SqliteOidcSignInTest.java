package dev.lectern.accounts.oidc;

import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

class SqliteOidcSignInTest extends OidcSignInContract {
    @TempDir
    Path data;

    @Override
    protected SqlDatabase newDatabase() {
        return new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString())).storage(),
                null);
    }
}
