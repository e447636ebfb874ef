package dev.lectern.accounts;

import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.store.StoreUnavailableException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import javax.net.ssl.SSLSocketFactory;

/**
 * Delivers verification codes by SMTP with Angus Mail: plain, STARTTLS (refuses to go on in clear text when the server
 * does not offer it) or implicit TLS, the server certificate checked against the host name, AUTH PLAIN or LOGIN when
 * a user is configured, a connect and read timeout on every step. One message per connection. Blocking: called on the
 * blocking executor. A mail server that cannot take the message makes the request a 503.
 */
public final class SmtpCodeSender implements CodeSender {
    private final Session session;
    private final InternetAddress from;
    private final String username;
    private final String password;

    public SmtpCodeSender(AccountsConfig.Smtp config, String password) {
        this(config, password, (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    SmtpCodeSender(AccountsConfig.Smtp config, String password, SSLSocketFactory tls) {
        try {
            this.from = new InternetAddress(config.from(), true);
        } catch (AddressException e) {
            throw new IllegalArgumentException("accounts.smtp.from: not a mail address: " + config.from(), e);
        }
        this.username = config.username();
        this.password = password == null ? "" : password;
        Properties p = new Properties();
        p.put("mail.smtp.host", config.host());
        p.put("mail.smtp.port", Integer.toString(config.port()));
        p.put("mail.smtp.localhost", "lectern"); // EHLO lectern: the host's own name says nothing to the server
        p.put("mail.smtp.connectiontimeout", Integer.toString(config.timeoutMillis()));
        p.put("mail.smtp.timeout", Integer.toString(config.timeoutMillis()));
        p.put("mail.smtp.auth", Boolean.toString(!username.isEmpty()));
        p.put("mail.smtp.auth.mechanisms", "PLAIN LOGIN");
        p.put("mail.smtp.sasl.authorizationid", ""); // AUTH PLAIN acts as the user it logs in as, not on behalf of one
        p.put("mail.smtp.ssl.checkserveridentity", "true");
        p.put("mail.smtp.ssl.socketFactory", tls);
        switch (config.security()) {
            case "tls" -> p.put("mail.smtp.ssl.enable", "true");
            case "starttls" -> {
                p.put("mail.smtp.starttls.enable", "true");
                p.put("mail.smtp.starttls.required", "true");
            }
            default -> p.put("mail.smtp.starttls.enable", "false");
        }
        this.session = Session.getInstance(p);
    }

    @Override
    public void send(String email, String purpose, String code) {
        String what = purpose.equals("register") ? "finish creating your account" : "set a new password";
        mail(email, "Your Lectern code: " + code, "Your verification code is " + code + ".\n\nEnter it to " + what
                + ". If you did not ask for it, ignore this message.\n");
    }

    @Override
    public void sendLocked(String email, String purpose) {
        String what = purpose.equals("register") ? "creating an account" : "resetting the password";
        mail(email, "Lectern: verification codes locked for a day", "Too many wrong verification codes were entered"
                + " for " + what + " with this address, so codes for it are refused for the next 24 hours. If this"
                + " was not you, someone may be trying to take over your account; your password is unchanged.\n");
    }

    private void mail(String email, String subject, String text) {
        try {
            MimeMessage message = new MimeMessage(session);
            message.setFrom(from);
            message.setRecipient(Message.RecipientType.TO, new InternetAddress(email, true));
            message.setSubject(subject, StandardCharsets.UTF_8.name());
            message.setText(text, StandardCharsets.UTF_8.name());
            if (username.isEmpty()) {
                Transport.send(message);
            } else {
                Transport.send(message, username, password);
            }
        } catch (AddressException e) {
            throw new IllegalArgumentException("not a mail address: " + email, e);
        } catch (MessagingException e) {
            throw new StoreUnavailableException("smtp", describe(e), e);
        }
    }

    /** The failure and what the server answered: Angus Mail chains the server's reply as the next exception. */
    static String describe(MessagingException e) {
        StringBuilder s = new StringBuilder();
        Exception next = e;
        for (int depth = 0; next != null && depth < 5; depth++) {
            String m = next.getMessage();
            if (m != null && !m.isBlank() && s.indexOf(m.strip()) < 0) {
                s.append(s.length() == 0 ? "" : ": ").append(m.strip());
            }
            next = next instanceof MessagingException me ? me.getNextException() : null;
        }
        return s.length() == 0 ? e.getClass().getSimpleName() : s.toString();
    }
}
