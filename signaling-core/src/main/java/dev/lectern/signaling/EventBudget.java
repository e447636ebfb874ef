package dev.lectern.signaling;

/**
 * Token buckets of one connection: every event costs a token of one bucket, chat messages also one of a second,
 * slower bucket. Thread-safe (a /ws connection's frames and a feature's replies may come from different threads).
 */
final class EventBudget {
    private final Bucket events;
    private final Bucket messages;

    EventBudget(double eventsPerSecond, int eventBurst, double messagesPerSecond, int messageBurst) {
        this.events = new Bucket(eventsPerSecond, eventBurst);
        this.messages = new Bucket(messagesPerSecond, messageBurst);
    }

    /** Takes the tokens the event costs; false when the connection is over its budget (the event is refused). */
    synchronized boolean take(String event, long nowNanos) {
        if (!events.take(nowNanos)) {
            return false;
        }
        return !"message".equals(event) || messages.take(nowNanos);
    }

    private static final class Bucket {
        private final double perNano;
        private final int burst;
        private double tokens;
        private long last = Long.MIN_VALUE;

        Bucket(double perSecond, int burst) {
            this.perNano = perSecond / 1e9;
            this.burst = burst;
            this.tokens = burst;
        }

        boolean take(long now) {
            if (last != Long.MIN_VALUE) {
                tokens = Math.min(burst, tokens + (now - last) * perNano);
            }
            last = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }
}
