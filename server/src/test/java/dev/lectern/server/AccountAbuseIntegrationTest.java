package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #19 items 4 and 5, performed against the real server: reset codes guessed across resends (a resend used to
 * issue a fresh code and clear the attempt counter, so guesses were unlimited over time), codes sent without an
 * hourly cap, wrong codes not feeding the login throttle, and {@code register} telling which addresses have an
 * account before it checked the code.
 */
class AccountAbuseIntegrationTest {
    private static final String PASSWORD = "Correct-horse-42";

    @TempDir
    Path data;
    private LecternServer server;
    private HttpJson http;

    private void start(Map<String, String> overrides) {
        Map<String, String> o = new HashMap<>(Map.of(
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4",
                "LECTERN_ACCOUNTS__CODE_RESEND_SECONDS", "1"));
        o.putAll(overrides);
        server = LecternServer.start(TestConfigs.defaults(o), Map.of());
        http = new HttpJson(server.httpPort());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String code(String purpose, String email) {
        return server.ephemeralStore().get("code:" + purpose + ":" + email).orElseThrow();
    }

    /** Sends a code, waiting out the resend gap (one second here) when the previous one was a moment ago. */
    private void send(String email, String purpose) throws Exception {
        while (true) {
            HttpJson.Reply r = http.post("/api/send_verification", Map.of("email", email, "purpose", purpose), null);
            if (r.status() == 200) {
                return;
            }
            assertThat(r.status()).as(r.raw().body()).isEqualTo(429);
            assertThat(r.text("message")).contains("a moment ago");
            Thread.sleep(300);
        }
    }

    private void signUp(String email) throws Exception {
        send(email, "register");
        assertThat(http.post("/api/register", Map.of("email", email, "password", PASSWORD,
                "code", code("register", email)), null).status()).isEqualTo(201);
    }

    private static String wrong(String code) {
        return code.equals("000000") ? "111111" : "000000";
    }

    private int reset(String email, String code) throws Exception {
        return http.post("/api/update_password", Map.of("email", email, "code", code,
                "new_password", "Another-horse-43"), null).status();
    }

    @Test
    void wrongResetCodesAreCountedAcrossResendsThenTheAddressIsLocked() throws Exception {
        // a distributed guesser: the per-client throttle is out of the way, the per-account counter must hold
        start(Map.of("LECTERN_ACCOUNTS__LOGIN_THROTTLE__SLOW_AFTER_FAILURES", "1000",
                "LECTERN_ACCOUNTS__LOGIN_THROTTLE__MAX_FAILURES", "1000",
                "LECTERN_ACCOUNTS__CODE_GUESSES_PER_DAY", "10",
                "LECTERN_ACCOUNTS__CODE_MAX_ATTEMPTS", "5"));
        signUp("victim@example.com");
        for (int round = 0; round < 2; round++) {
            send("victim@example.com", "reset_password");
            String code = code("reset_password", "victim@example.com");
            for (int i = 0; i < 5; i++) {
                assertThat(reset("victim@example.com", wrong(code))).isEqualTo(400);
            }
        }
        // ten wrong guesses today: a fresh code no longer helps, even the right one (before: it reset the count)
        send("victim@example.com", "reset_password");
        assertThat(server.ephemeralStore().get("code:reset_password:victim@example.com"))
                .as("no code is issued while locked").isEmpty();
        assertThat(reset("victim@example.com", "123456")).isEqualTo(400);
        assertThat(http.post("/api/login", Map.of("email", "victim@example.com", "password", PASSWORD), null)
                .status()).as("the password is unchanged; the owner still signs in").isEqualTo(200);
    }

    @Test
    void codesPerAddressPerHourAreCapped() throws Exception {
        start(Map.of("LECTERN_ACCOUNTS__CODES_PER_ADDRESS_PER_HOUR", "3"));
        for (int i = 0; i < 3; i++) {
            send("mailbomb@example.com", "register");
        }
        Thread.sleep(1100);
        HttpJson.Reply fourth = http.post("/api/send_verification", Map.of("email", "mailbomb@example.com",
                "purpose", "register"), null);
        assertThat(fourth.status()).isEqualTo(429);
        assertThat(fourth.header("retry-after")).isNotNull();
    }

    @Test
    void wrongCodesFeedTheLoginThrottleOfTheAddress() throws Exception {
        start(Map.of("LECTERN_ACCOUNTS__LOGIN_THROTTLE__SLOW_AFTER_FAILURES", "3",
                "LECTERN_ACCOUNTS__LOGIN_THROTTLE__LOCKOUT_SECONDS", "600"));
        signUp("ok@example.com");
        for (int i = 0; i < 3; i++) {
            assertThat(reset("someone" + i + "@example.com", "123456")).isEqualTo(400);
        }
        assertThat(http.post("/api/login", Map.of("email", "ok@example.com", "password", PASSWORD), null).status())
                .isEqualTo(429);
        assertThat(reset("ok@example.com", "123456")).isEqualTo(429);
    }

    @Test
    void registerChecksTheCodeBeforeTellingThatTheAddressIsTaken() throws Exception {
        start(Map.of());
        signUp("taken@example.com");
        HttpJson.Reply taken = http.post("/api/register", Map.of("email", "taken@example.com", "password", PASSWORD,
                "code", "123456"), null);
        HttpJson.Reply free = http.post("/api/register", Map.of("email", "free@example.com", "password", PASSWORD,
                "code", "123456"), null);
        assertThat(taken.status()).isEqualTo(free.status()).isEqualTo(400);
        assertThat(taken.text("error")).isEqualTo(free.text("error")).isEqualTo("invalid_code");
        assertThat(taken.text("message")).isEqualTo(free.text("message")); // before: 409 email_taken
    }
}
