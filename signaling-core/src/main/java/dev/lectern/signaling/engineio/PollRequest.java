package dev.lectern.signaling.engineio;

/** A pending long-polling GET, answered exactly once by the session. */
public interface PollRequest {
    /** Answers 200 with this payload. */
    void respond(String payload);

    /** Answers with an error status (400 for a protocol violation). */
    void reject(int status, String message);
}
