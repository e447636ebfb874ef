package dev.lectern.jobs;

/**
 * A cross-node wake-up path for the dispatchers: when one node queues work, the others look at once instead of at
 * their next poll. PostgreSQL's LISTEN/NOTIFY (the NOTIFY is sent inside the enqueuing transaction, so it arrives
 * after the commit) and Redis pub/sub implement it; on one node the engine's in-process signal suffices.
 */
interface Wakeups extends AutoCloseable {
    /** Tells the other nodes to look (after a commit); a no-op where the notification travels with the commit. */
    void announce();

    @Override
    void close();
}
