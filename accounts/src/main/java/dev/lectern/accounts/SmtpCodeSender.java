package dev.lectern.accounts;

import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.store.StoreUnavailableException;
import java.io.IOException;
import javax.net.ssl.SSLSocketFactory;

/** Delivers verification codes by SMTP; a mail server that cannot take the message makes the request a 503. */
public final class SmtpCodeSender implements CodeSender {
    private final SmtpClient client;
    private final String from;

    public SmtpCodeSender(AccountsConfig.Smtp config, String password) {
        this(config, password, (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    SmtpCodeSender(AccountsConfig.Smtp config, String password, SSLSocketFactory tls) {
        this.client = new SmtpClient(config.host(), config.port(), config.security(), config.username(), password,
                config.timeoutMillis(), tls);
        this.from = config.from();
    }

    @Override
    public void send(String email, String purpose, String code) {
        String what = purpose.equals("register") ? "finish creating your account" : "set a new password";
        try {
            client.send(from, email, "Your Lectern code: " + code,
                    "Your verification code is " + code + ".\n\nEnter it to " + what
                            + ". If you did not ask for it, ignore this message.\n");
        } catch (IOException e) {
            throw new StoreUnavailableException("smtp", e.getMessage(), e);
        }
    }
}
