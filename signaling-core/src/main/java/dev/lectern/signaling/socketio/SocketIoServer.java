package dev.lectern.signaling.socketio;

import dev.lectern.signaling.engineio.EngineIoSession;
import java.util.Map;

/** The namespaces served on one Engine.IO endpoint, and the per-connection timing (connect timeout). */
public final class SocketIoServer {
    private final Map<String, Namespace> namespaces;
    private final long connectTimeoutMillis;

    public SocketIoServer(Map<String, Namespace> namespaces, long connectTimeoutMillis) {
        this.namespaces = Map.copyOf(namespaces);
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    Namespace namespace(String nsp) {
        return namespaces.get(nsp);
    }

    long connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    /** Attaches the Socket.IO layer to a new Engine.IO session (the {@code onOpen} of its EngineIoServer). */
    public void attach(EngineIoSession session) {
        session.listener(new SocketIoConnection(this, session));
    }
}
