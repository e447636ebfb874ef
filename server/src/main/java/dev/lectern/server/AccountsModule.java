package dev.lectern.server;

import dev.lectern.accounts.AccountService;
import dev.lectern.accounts.AuditLog;
import dev.lectern.accounts.CodeSender;
import dev.lectern.accounts.JwtSecret;
import dev.lectern.accounts.JwtTokenVerifier;
import dev.lectern.accounts.SmtpCodeSender;
import dev.lectern.accounts.TokenService;
import dev.lectern.accounts.UserRepository;
import dev.lectern.accounts.oidc.OidcTokenValidator;
import dev.lectern.accounts.oidc.OidcTokenVerifier;
import dev.lectern.accounts.oidc.OidcUsers;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.config.OidcConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.AuthDecorator;
import dev.lectern.http.HttpDecorator;
import dev.lectern.http.RateLimitDecorator;
import dev.lectern.http.Router;
import dev.lectern.http.api.AccountsApi;
import dev.lectern.http.api.TokenRefreshDecorator;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The accounts feature's wiring: the token service and the one {@link TokenVerifier} of every entry point (REST, SSE,
 * Socket.IO, {@code /ws}, the avatar proxy), the account service with its mail sender, the REST decorators in their
 * order and the accounts routes. It opens nothing: the stores it works on come from {@link InfrastructureModule}.
 */
final class AccountsModule implements FeatureModule {
    private final TokenService tokens;
    private final TokenVerifier verifier;
    private final OidcUsers oidcUsers;
    private final AccountService accounts;
    private final AccountsConfig config;
    private final EphemeralStore ephemeral;
    private final Executor blocking;
    private final Clock clock;
    /** Guest mode ({@code accounts.guestAccess}), or null. */
    private final dev.lectern.http.GuestAccess guests;
    private final dev.lectern.core.auth.GuestCookies guestCookies;

    /** {@code verifierOverride}: null in production; tests may pass a fixed verifier instead of the JWT one. */
    AccountsModule(ServerConfig config, Secrets secrets, InfrastructureModule infra, TokenVerifier verifierOverride) {
        this.config = config.accounts();
        this.ephemeral = infra.ephemeral;
        this.blocking = infra.blocking;
        this.clock = infra.clock;
        byte[] secret = JwtSecret.load(secrets, infra.dataDir);
        this.guestCookies = this.config.guestAccess() ? new dev.lectern.core.auth.GuestCookies(secret) : null;
        this.guests = guestCookies == null ? null : new dev.lectern.http.GuestAccess(guestCookies);
        this.tokens = new TokenService(secret, ephemeral, Duration.ofSeconds(this.config.tokenTtlSeconds()), clock);
        TokenVerifier own = verifierOverride != null ? verifierOverride : new JwtTokenVerifier(tokens, blocking);
        OidcConfig oidc = this.config.oidc();
        this.oidcUsers = oidc.enabled() ? new OidcUsers(infra.sql, new UserRepository(infra.sql, clock), oidc) : null;
        this.verifier = oidc.enabled() ? new OidcTokenVerifier(own, oidc.issuer(), new OidcTokenValidator(oidc),
                oidcUsers, blocking) : own;
        CodeSender sender = this.config.smtp().enabled()
                ? new SmtpCodeSender(this.config.smtp(),
                        secrets.get("LECTERN_SMTP_PASSWORD").map(Secret::reveal).orElse(null))
                : CodeSender.log();
        this.accounts = new AccountService(new UserRepository(infra.sql, clock), new AuditLog(infra.sql, clock), tokens,
                ephemeral, sender, this.config);
    }

    /** External sign-in's users (to hand organisation groups to), or null when {@code accounts.oidc} is off. */
    OidcUsers oidcUsers() {
        return oidcUsers;
    }

    /** The guest cookie's signer (guest mode), or null when {@code accounts.guestAccess} is off. */
    dev.lectern.core.auth.GuestCookies guestCookies() {
        return guestCookies;
    }

    TokenVerifier verifier() {
        return verifier;
    }

    /** In order, outermost first: per-address limit, authentication, per-user limit, token refresh. */
    List<HttpDecorator> decorators() {
        AccountsConfig.RateLimit limits = config.rateLimit();
        return List.of(
                new RateLimitDecorator(ephemeral, blocking, RateLimitDecorator.Scope.ADDRESS,
                        limits.perAddressPerMinute(), clock),
                new AuthDecorator(verifier, guests),
                new RateLimitDecorator(ephemeral, blocking, RateLimitDecorator.Scope.USER,
                        limits.perUserPerMinute(), clock),
                new TokenRefreshDecorator(tokens, ephemeral, blocking,
                        Duration.ofSeconds(config.tokenRefreshBeforeSeconds()), clock));
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        new AccountsApi(accounts, tokens).register(routes);
    }
}
