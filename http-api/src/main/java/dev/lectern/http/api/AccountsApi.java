package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lectern.accounts.AccountService;
import dev.lectern.accounts.AuditLog;
import dev.lectern.accounts.TokenService;
import dev.lectern.accounts.User;
import dev.lectern.core.auth.Principal;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.AuthDecorator;
import dev.lectern.http.Router;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The account endpoints a front end of the original tutor backend calls: verification codes, register, login,
 * token status, password change, logout, the caller's profile, and the admin's user list, account switch and audit
 * log. JSON in and out; every handler that touches a store is {@code .blocking()}.
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

    public void register(Router.Builder routes) {
        routes.post("/api/send_verification").tag("accounts").json().blocking()
                .summary("Send a six-digit code by e-mail (purpose register or reset_password); one per address per"
                        + " codeResendSeconds")
                .example(Map.of("email", "ada@example.com", "purpose", "register")).errors(400, 429, 503)
                .handle(r -> {
                    SendVerification b = r.json(SendVerification.class);
                    accounts.sendVerification(b.email(), b.purpose() == null ? "register" : b.purpose(),
                            r.remoteAddress());
                    return ApiResponse.json(202, Map.of("status", "sent")).async();
                });
        routes.post("/api/register").tag("accounts").json().blocking()
                .summary("Create an account with a verification code; role student (default), tutor, or admin")
                .example(Map.of("email", "ada@example.com", "password", "correct horse 42", "code", "123456"))
                .errors(400, 403, 409, 503)
                .handle(r -> {
                    Register b = r.json(Register.class);
                    AccountService.Session s = accounts.register(b.email(), b.password(), b.code(), b.role(),
                            r.principal(), r.remoteAddress());
                    return ApiResponse.json(201, session(s)).async();
                });
        routes.post("/api/login").tag("accounts").json().blocking()
                .summary("Exchange e-mail and password for a bearer token")
                .example(Map.of("email", "ada@example.com", "password", "correct horse 42"))
                .errors(400, 401, 403, 429, 503)
                .handle(r -> {
                    Login b = r.json(Login.class);
                    return ApiResponse.json(session(accounts.login(b.email(), b.password(), r.remoteAddress()))).async();
                });
        routes.get("/api/token_status").tag("accounts").access(Access.USER)
                .summary("Whether the bearer token is valid, whose it is and when it expires").errors(401)
                .handle(r -> {
                    Principal p = r.requirePrincipal();
                    Instant exp = tokens.expiresAt(AuthDecorator.bearerToken(r));
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("valid", true);
                    body.put("user_id", p.userId());
                    body.put("role", p.role().wireName());
                    body.put("expires_at", exp == null ? null : exp.getEpochSecond());
                    return ApiResponse.json(body).async();
                });
        routes.post("/api/update_password").tag("accounts").json().blocking()
                .summary("Set a new password with a reset_password code (for the signed-in user, or for email);"
                        + " revokes every token of the account")
                .example(Map.of("code", "123456", "new_password", "another horse 43"))
                .errors(400, 401, 503)
                .handle(r -> {
                    UpdatePassword b = r.json(UpdatePassword.class);
                    accounts.updatePassword(r.principal(), b.email(), b.code(), b.newPassword(), r.remoteAddress());
                    return ApiResponse.json(Map.of("status", "password_updated")).async();
                });
        routes.post("/api/logout").tag("accounts").access(Access.USER).blocking()
                .summary("Revoke the bearer token at once, on every node").errors(401, 503)
                .handle(r -> {
                    accounts.logout(r.requirePrincipal());
                    return ApiResponse.json(Map.of("status", "logged_out")).async();
                });
        routes.get("/api/user/profile").tag("accounts").access(Access.USER).blocking()
                .summary("The caller's account").errors(401, 503)
                .handle(r -> ApiResponse.json(accounts.requireUser(r.requirePrincipal()).view()).async());
        routes.put("/api/user/profile").tag("accounts").access(Access.USER).json().blocking()
                .summary("Change the caller's display name").example(Map.of("display_name", "Ada"))
                .errors(400, 401, 503)
                .handle(r -> {
                    Profile b = r.json(Profile.class);
                    return ApiResponse.json(accounts.updateProfile(r.requirePrincipal(), b.displayName()).view())
                            .async();
                });
        registerAdmin(routes);
    }

    private void registerAdmin(Router.Builder routes) {
        paged(routes.get("/api/admin/users").summary("All accounts, oldest first"))
                .handle(r -> {
                    Page p = Page.of(r);
                    List<Map<String, Object>> page = accounts.listUsers(p.offset(), p.limit()).stream()
                            .map(User::view).toList();
                    return ApiResponse.json(Map.of("users", page, "total", accounts.countUsers(),
                            "offset", p.offset())).async();
                });
        routes.post("/api/admin/users/{id}/disable").tag("admin").access(Access.ADMIN).blocking()
                .summary("Disable an account and revoke its tokens at once (audited)").errors(400, 401, 403, 404, 503)
                .handle(r -> switchAccount(r, true));
        routes.post("/api/admin/users/{id}/enable").tag("admin").access(Access.ADMIN).blocking()
                .summary("Re-enable an account (audited)").errors(401, 403, 404, 503)
                .handle(r -> switchAccount(r, false));
        paged(routes.get("/api/admin/audit").summary("Audit log of admin actions, newest first"))
                .handle(r -> {
                    Page p = Page.of(r);
                    List<Map<String, Object>> entries = accounts.auditLog(p.offset(), p.limit()).stream()
                            .map(AuditLog.Entry::view).toList();
                    return ApiResponse.json(Map.of("entries", entries, "offset", p.offset())).async();
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
        return ApiResponse.json(u.view()).async();
    }

    private static Map<String, Object> session(AccountService.Session s) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", s.token().token());
        body.put("expires_at", s.token().expiresAt().getEpochSecond());
        body.put("user", s.user().view());
        return body;
    }
}
