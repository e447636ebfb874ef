package dev.lectern.accounts;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.error.ServiceException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PasswordPolicyTest {
    private final PasswordPolicy policy = new PasswordPolicy(10);

    @ParameterizedTest
    @ValueSource(strings = {"Correct-horse-42", "tr0ub4dor&3x", "\u00e9l\u00e8ve-\u00e9t\u00e9-2024", "long passphrase 9"})
    void acceptsStrongPasswords(String password) {
        assertThatCode(() -> policy.check(password, "ada@example.com")).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "short1!|at least 10",
        "onlylettersatall|mix letters",
        "1234567890123|mix letters",
        "Password123|too common",
        "adalovelace-99|e-mail name",
        "tab\there-is-bad1|control"})
    void refusesWeakPasswordsSayingWhy(String password, String why) {
        assertThatThrownBy(() -> policy.check(password, "adalovelace@example.com"))
                .isInstanceOf(ServiceException.class).hasMessageContaining(why)
                .extracting(e -> ((ServiceException) e).code()).isEqualTo("weak_password");
    }

    @org.junit.jupiter.api.Test
    void refusesWhatBcryptWouldCut() {
        assertThatThrownBy(() -> policy.check("a1" + "x".repeat(71), "ada@example.com"))
                .hasMessageContaining("72 bytes");
        assertThatThrownBy(() -> policy.check(null, "ada@example.com")).isInstanceOf(ServiceException.class);
    }
}
