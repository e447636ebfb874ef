package dev.lectern.accounts;

/** Delivers a verification code to an e-mail address. Blocking: called on the blocking executor. */
public interface CodeSender {
    void send(String email, String purpose, String code);

    /** Development delivery: the code goes to the server log (never to the API caller). */
    static CodeSender log() {
        org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(CodeSender.class);
        return (email, purpose, code) -> logger.atInfo().addKeyValue("email", email).addKeyValue("purpose", purpose)
                .log("verification code for {} ({}): {} (no SMTP server configured)", email, purpose, code);
    }
}
