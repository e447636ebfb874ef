package dev.lectern.ai.llm;

/**
 * A model answer being streamed, pulled by its consumer: nothing is delivered beyond what {@link #request} allowed,
 * and while the consumer asks for nothing the provider stops reading from the network (TCP backpressure).
 */
public interface ChatStream {
    /** Allows {@code n} more {@link ChatStreamListener#onText} calls; any thread. */
    void request(long n);

    /** Aborts at once: the upstream connection is closed (which stops billing at OpenRouter). Idempotent. */
    void cancel();

    /** True when the answer comes from the offline provider, not a model. */
    boolean offline();
}
