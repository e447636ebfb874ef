package dev.lectern.server;

import dev.lectern.core.health.HealthCheck;
import dev.lectern.http.Router;
import java.util.List;

/**
 * The wiring of one feature for {@link LecternServer}. Its constructor builds the feature from the config and the
 * parts other modules hand it, adding whatever it opens to the server's {@link Closeables}; the server then asks it
 * for its routes and its health checks.
 */
interface FeatureModule {
    /** Registers the feature's REST routes. */
    void registerRoutes(Router.Builder routes);

    /** The components {@code /api/health} reports on, in order. */
    default List<HealthCheck> healthChecks() {
        return List.of();
    }
}
