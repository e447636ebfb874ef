package dev.lectern.server;

import dev.lectern.accounts.AccountService;
import dev.lectern.accounts.AuditLog;
import dev.lectern.accounts.CodeSender;
import dev.lectern.accounts.JwtSecret;
import dev.lectern.accounts.JwtTokenVerifier;
import dev.lectern.accounts.SmtpCodeSender;
import dev.lectern.http.api.TokenRefreshDecorator;
import dev.lectern.accounts.TokenService;
import dev.lectern.accounts.UserRepository;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.config.StorageConfig;
import dev.lectern.core.health.HealthCheck;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.RedisEphemeralStore;
import dev.lectern.core.store.StoreUnavailableException;
import dev.lectern.http.AuthDecorator;
import dev.lectern.http.HttpDecorator;
import dev.lectern.http.RateLimitDecorator;
import dev.lectern.http.Router;
import dev.lectern.http.api.AccountsApi;
import dev.lectern.core.store.sql.SqlDatabase;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Builds the stores and everything accounts need from the config, for {@link LecternServer}: the ephemeral store
 * (in-process or Redis), the SQL database (SQLite or PostgreSQL), the token service and the one
 * {@link TokenVerifier} of every entry point, the decorators in their order, the routes and the health checks.
 * Whatever it opens is pushed onto the server's closeables.
 */
final class AccountsModule {
    final EphemeralStore ephemeral;
    final SqlDatabase sql;
    final TokenService tokens;
    final TokenVerifier verifier;
    private final AccountService accounts;
    private final ServerConfig config;
    private final Executor blocking;
    private final Clock clock = Clock.systemUTC();

    /** {@code verifierOverride}: null in production; tests may pass a fixed verifier instead of the JWT one. */
    AccountsModule(ServerConfig config, Secrets secrets, Executor blocking, Deque<AutoCloseable> closeables,
                   TokenVerifier verifierOverride) {
        this.config = config;
        this.blocking = blocking;
        StorageConfig storage = config.storage();
        AccountsConfig ac = config.accounts();
        byte[] secret = JwtSecret.load(secrets, Path.of(storage.dataDir()));
        this.ephemeral = storage.redis().enabled()
                ? new RedisEphemeralStore(storage.redis(), secrets.get("LECTERN_REDIS_PASSWORD").map(Secret::reveal)
                        .orElse(null))
                : new InMemoryEphemeralStore();
        closeables.push(ephemeral);
        try {
            this.sql = new SqlDatabase(storage, secrets.get("LECTERN_SQL_PASSWORD").map(Secret::reveal).orElse(null));
        } catch (StoreUnavailableException e) {
            throw new StartupException("storage.sql.url: " + e.getMessage(), e);
        }
        closeables.push(sql);
        this.tokens = new TokenService(secret, ephemeral, Duration.ofSeconds(ac.tokenTtlSeconds()), clock);
        this.verifier = verifierOverride != null ? verifierOverride : new JwtTokenVerifier(tokens, blocking);
        CodeSender sender = ac.smtp().enabled()
                ? new SmtpCodeSender(ac.smtp(), secrets.get("LECTERN_SMTP_PASSWORD").map(Secret::reveal).orElse(null))
                : CodeSender.log();
        this.accounts = new AccountService(new UserRepository(sql, clock), new AuditLog(sql, clock), tokens,
                ephemeral, sender, ac);
    }

    /** In order, outermost first: per-address limit, authentication, per-user limit, token refresh. */
    List<HttpDecorator> decorators() {
        AccountsConfig.RateLimit limits = config.accounts().rateLimit();
        return List.of(
                new RateLimitDecorator(ephemeral, blocking, RateLimitDecorator.Scope.ADDRESS,
                        limits.perAddressPerMinute(), clock),
                new AuthDecorator(verifier),
                new RateLimitDecorator(ephemeral, blocking, RateLimitDecorator.Scope.USER,
                        limits.perUserPerMinute(), clock),
                new TokenRefreshDecorator(tokens, ephemeral, blocking,
                        Duration.ofSeconds(config.accounts().tokenRefreshBeforeSeconds()), clock));
    }

    void registerRoutes(Router.Builder routes) {
        new AccountsApi(accounts, tokens).register(routes);
    }

    /** {@code ephemeralStore} and {@code sqlStore} in {@code /api/health}, each naming its engine and any outage. */
    List<HealthCheck> healthChecks() {
        return List.of(check("ephemeralStore", ephemeral.kind(), ephemeral::ping),
                check("sqlStore", sql.kind(), sql::ping));
    }

    private static HealthCheck check(String name, String kind, Runnable ping) {
        return new HealthCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public HealthStatus check() {
                try {
                    ping.run();
                    return HealthStatus.up(kind);
                } catch (StoreUnavailableException e) {
                    return HealthStatus.down(e.getMessage());
                } catch (RuntimeException e) {
                    return HealthStatus.down(kind + ": " + e.getClass().getSimpleName());
                }
            }
        };
    }
}
