package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lectern.accounts.AccountService;
import dev.lectern.accounts.AuditLog;
import dev.lectern.accounts.TokenService;
import dev.lectern.accounts.User;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.TokenType;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.AuthDecorator;
import dev.lectern.http.Router;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The account endpoints a front end of the original tutor backend calls: verification codes, register, login,
 * token status, password change, logout, the caller's profile, and the admin's user list, account switch and audit
 * log. JSON in and out; every handler that touches a store is {@code .blocking()}. The request and response shapes
 * of the Virtual Tutor seed's "Authentication Endpoints" are kept exactly ({@code msg}, {@code token},
 * {@code expires_in_seconds}, …); Lectern's own fields sit beside them.
 */
public final class AccountsApi {
    private final AccountService accounts;
    private final TokenService tokens;

    public AccountsApi(AccountService accounts, TokenService tokens) {
        this.accounts = accounts;
        this.tokens = tokens;
    }

    record SendVerification(String email, String purpose) {}

    record Register(String email, String password, String code, String role) {}

    record Login(String email, String password) {}

    record UpdatePassword(String code, @JsonProperty("new_password") String newPassword, String email) {}

    record Profile(@JsonProperty("display_name") String displayName) {}

    /**
     * The Virtual Tutor seed's answer to send_verification, update_password and logout: {@code msg}, with Lectern's
     * earlier {@code status} word beside it.
     */
    public record Done(String msg, String status) {}

    /** An account as clients see it (no password hash): {@link User#view()} as a type. */
    public record Account(String id, String email, String role, @JsonProperty("display_name") String displayName,
                          boolean disabled, @JsonProperty("created_at") long createdAt) {
        static Account of(User u) {
            return new Account(Long.toString(u.id()), u.email(), u.role().wireName(), u.displayName(), u.disabled(),
                    u.createdAtMillis());
        }
    }

    /** register's answer: the seed's {@code msg}, and the session Lectern signs the new account in with. */
    public record Registered(String msg, String token, @JsonProperty("expires_at") long expiresAt, Account user) {}

    /** login's answer: the seed's {@code token}, with its expiry (epoch seconds) and the account beside it. */
    public record SignedIn(String token, @JsonProperty("expires_at") long expiresAt, Account user) {}

    /**
     * token_status's answer: the seed's {@code expires_in_seconds} and {@code expires_in_minutes} (two decimals),
     * beside Lectern's {@code valid}, {@code user_id}, {@code role}, {@code expires_at} (epoch seconds), and the kind
     * of token ({@code lectern}, {@code oidc_id}, {@code oidc_access}). The expiry fields are null for a token that
     * does not expire.
     */
    public record TokenStatus(@JsonProperty("expires_in_seconds") Long expiresInSeconds,
                              @JsonProperty("expires_in_minutes") Double expiresInMinutes, boolean valid,
                              @JsonProperty("user_id") String userId, String role,
                              @JsonProperty("expires_at") Long expiresAt,
                              @JsonProperty("token_type") String tokenType) {}

    public record UserPage(List<Account> users, long total, int offset) {}

    public record AuditEntry(long id, @JsonProperty("actor_id") String actorId, String action, String target,
                             String detail, String address, @JsonProperty("created_at") long createdAt) {
        static AuditEntry of(AuditLog.Entry e) {
            return new AuditEntry(e.id(), e.actorId() == null ? null : Long.toString(e.actorId()), e.action(),
                    e.target(), e.detail(), e.address(), e.createdAtMillis());
        }
    }

    public record AuditPage(List<AuditEntry> entries, int offset) {}

    public void register(Router.Builder routes) {
        routes.post("/api/send_verification").tag("accounts").json().blocking()
                .summary("Send a six-digit code by e-mail (purpose register or reset_password); one per address per"
                        + " codeResendSeconds")
                .example(Map.of("email", "ada@example.com", "purpose", "register")).errors(400, 429, 503)
                .request(SendVerification.class).returns(200, Done.class)
                .handle(r -> {
                    SendVerification b = r.json(SendVerification.class);
                    accounts.sendVerification(b.email(), b.purpose() == null ? "register" : b.purpose(),
                            r.remoteAddress());
                    return ApiResponse.json(200, new Done("Verification code sent.", "sent")).async();
                });
        routes.post("/api/register").tag("accounts").json().blocking()
                .summary("Create an account with a verification code; role student (default), tutor, or admin")
                .example(Map.of("email", "ada@example.com", "password", "correct horse 42", "code", "123456"))
                .errors(400, 403, 409, 503)
                .request(Register.class).returns(201, Registered.class)
                .handle(r -> {
                    Register b = r.json(Register.class);
                    AccountService.Session s = accounts.register(b.email(), b.password(), b.code(), b.role(),
                            r.principal(), r.remoteAddress());
                    return ApiResponse.json(201, new Registered("Registration successful", s.token().token(),
                            s.token().expiresAt().getEpochSecond(), Account.of(s.user()))).async();
                });
        routes.post("/api/login").tag("accounts").json().blocking()
                .summary("Exchange e-mail and password for a bearer token")
                .example(Map.of("email", "ada@example.com", "password", "correct horse 42"))
                .errors(400, 401, 403, 429, 503)
                .request(Login.class).returns(200, SignedIn.class)
                .handle(r -> {
                    Login b = r.json(Login.class);
                    AccountService.Session s = accounts.login(b.email(), b.password(), r.remoteAddress());
                    return ApiResponse.json(new SignedIn(s.token().token(), s.token().expiresAt().getEpochSecond(),
                            Account.of(s.user()))).async();
                });
        routes.get("/api/token_status").tag("accounts").access(Access.USER)
                .summary("Whether the bearer token is valid, whose it is and when it expires").errors(401)
                .returns(200, TokenStatus.class)
                .handle(r -> ApiResponse.json(tokenStatus(r.requirePrincipal(),
                        tokens.expiresAt(AuthDecorator.bearerToken(r)), Instant.now())).async());
        routes.post("/api/update_password").tag("accounts").json().blocking()
                .summary("Set a new password with a reset_password code (for the signed-in user, or for email);"
                        + " revokes every token of the account")
                .example(Map.of("code", "123456", "new_password", "another horse 43"))
                .errors(400, 401, 503)
                .request(UpdatePassword.class).returns(200, Done.class)
                .handle(r -> {
                    UpdatePassword b = r.json(UpdatePassword.class);
                    accounts.updatePassword(r.principal(), b.email(), b.code(), b.newPassword(), r.remoteAddress());
                    return ApiResponse.json(new Done("Password updated successfully", "password_updated")).async();
                });
        // a provider's token is ended at the provider: Lectern can revoke only its own
        routes.post("/api/logout").tag("accounts").access(Access.USER).blocking().tokens(TokenType.LECTERN)
                .summary("Revoke the bearer token at once, on every node (Lectern's own tokens)").errors(401, 403, 503)
                .returns(200, Done.class)
                .handle(r -> {
                    accounts.logout(r.requirePrincipal());
                    return ApiResponse.json(new Done("Logged out successfully.", "logged_out")).async();
                });
        routes.get("/api/user/profile").tag("accounts").access(Access.USER).blocking()
                .summary("The caller's account").errors(401, 503)
                .returns(200, Account.class)
                .handle(r -> ApiResponse.json(Account.of(accounts.requireUser(r.requirePrincipal()))).async());
        routes.put("/api/user/profile").tag("accounts").access(Access.USER).json().blocking()
                .summary("Change the caller's display name").example(Map.of("display_name", "Ada"))
                .errors(400, 401, 503)
                .request(Profile.class).returns(200, Account.class)
                .handle(r -> {
                    Profile b = r.json(Profile.class);
                    return ApiResponse.json(Account.of(accounts.updateProfile(r.requirePrincipal(), b.displayName())))
                            .async();
                });
        registerAdmin(routes);
    }

    /**
     * What token_status answers for a principal whose token expires at {@code exp} (Lectern's own token; else the
     * principal's expiry, or none), seen at {@code now}.
     */
    static TokenStatus tokenStatus(Principal p, Instant exp, Instant now) {
        Instant expires = exp != null ? exp : p.expiresAtMillis() > 0 ? Instant.ofEpochMilli(p.expiresAtMillis())
                : null;
        Long seconds = expires == null ? null : Math.max(0, expires.getEpochSecond() - now.getEpochSecond());
        Double minutes = seconds == null ? null : Math.round(seconds * 100.0 / 60.0) / 100.0;
        return new TokenStatus(seconds, minutes, true, p.userId(), p.role().wireName(),
                expires == null ? null : expires.getEpochSecond(), TokenType.of(p).wireName());
    }

    private void registerAdmin(Router.Builder routes) {
        paged(routes.get("/api/admin/users").summary("All accounts, oldest first"))
                .returns(200, UserPage.class)
                .handle(r -> {
                    Page p = Page.of(r);
                    List<Account> page = accounts.listUsers(p.offset(), p.limit()).stream().map(Account::of).toList();
                    return ApiResponse.json(new UserPage(page, accounts.countUsers(), p.offset())).async();
                });
        routes.post("/api/admin/users/{id}/disable").tag("admin").access(Access.ADMIN).blocking()
                .summary("Disable an account and revoke its tokens at once (audited)").errors(400, 401, 403, 404, 503)
                .returns(200, Account.class)
                .handle(r -> switchAccount(r, true));
        routes.post("/api/admin/users/{id}/enable").tag("admin").access(Access.ADMIN).blocking()
                .summary("Re-enable an account (audited)").errors(401, 403, 404, 503)
                .returns(200, Account.class)
                .handle(r -> switchAccount(r, false));
        paged(routes.get("/api/admin/audit").summary("Audit log of admin actions, newest first"))
                .returns(200, AuditPage.class)
                .handle(r -> {
                    Page p = Page.of(r);
                    List<AuditEntry> entries = accounts.auditLog(p.offset(), p.limit()).stream()
                            .map(AuditEntry::of).toList();
                    return ApiResponse.json(new AuditPage(entries, p.offset())).async();
                });
    }

    /** An admin listing: offset and limit query parameters. */
    private static Router.RouteBuilder paged(Router.RouteBuilder route) {
        return route.tag("admin").access(Access.ADMIN).blocking()
                .query("offset", "integer", false, "entries to skip (default 0)")
                .query("limit", "integer", false, "page size, 1-500 (default 100)").errors(400, 401, 403, 503);
    }

    private record Page(int offset, int limit) {
        static Page of(ApiRequest r) {
            return new Page(r.queryInt("offset", 0, 0, Integer.MAX_VALUE), r.queryInt("limit", 100, 1, 500));
        }
    }

    private java.util.concurrent.CompletionStage<ApiResponse> switchAccount(ApiRequest r, boolean disabled) {
        User u = accounts.setDisabled(r.requirePrincipal(), r.pathId("id"), disabled, r.remoteAddress());
        return ApiResponse.json(Account.of(u)).async();
    }
}
