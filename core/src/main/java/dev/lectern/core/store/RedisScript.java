package dev.lectern.core.store;

/**
 * A Lua script for {@link RedisEphemeralStore#eval}: sent once per Redis (its SHA-1 afterwards), and sent again when a
 * restarted or flushed Redis has forgotten it. Keep one instance per script, in a constant.
 */
public final class RedisScript {
    final String source;
    /** SHA-1 of {@link #source} once Redis has loaded it. */
    volatile String sha;

    public RedisScript(String source) {
        this.source = source;
    }
}
