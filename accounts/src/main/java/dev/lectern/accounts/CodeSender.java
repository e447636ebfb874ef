package dev.lectern.accounts;

/** Delivers a verification code to an e-mail address. Blocking: called on the blocking executor. */
public interface CodeSender {
    void send(String email, String purpose, String code);

    /**
     * Tells the owner of {@code email} that codes of {@code purpose} are locked for a day after too many wrong guesses
     * (someone may be trying to take the account over).
     */
    default void sendLocked(String email, String purpose) {
        org.slf4j.LoggerFactory.getLogger(CodeSender.class).atWarn().addKeyValue("email", email)
                .addKeyValue("purpose", purpose)
                .log("{} codes for {} locked after too many wrong guesses (no SMTP server configured)", purpose, email);
    }

    /** Development delivery: the code goes to the server log (never to the API caller). */
    static CodeSender log() {
        org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(CodeSender.class);
        return (email, purpose, code) -> logger.atInfo().addKeyValue("email", email).addKeyValue("purpose", purpose)
                .log("verification code for {} ({}): {} (no SMTP server configured)", email, purpose, code);
    }
}
