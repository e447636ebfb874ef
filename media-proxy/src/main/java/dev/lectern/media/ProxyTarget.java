package dev.lectern.media;

/**
 * Where the proxy may send a user's request: only ever 127.0.0.1 and the port of that user's own ready instance.
 * Answered from memory, without blocking, so the proxy can ask on its event loop.
 */
public sealed interface ProxyTarget {
    /** The instance is ready on this port. */
    record Ready(int port, String instanceId) implements ProxyTarget {}

    /** The instance exists but is still loading its model. */
    record Starting(String instanceId) implements ProxyTarget {}

    /** The user's instance exited on its own; a new start is needed. */
    record Crashed(String avatarName) implements ProxyTarget {}

    /** The user has no instance. */
    record None() implements ProxyTarget {}

    ProxyTarget NONE = new None();
}
