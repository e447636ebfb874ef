package dev.lectern.signaling.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** What serves one Socket.IO namespace. Callbacks run on the connection's executor; never block in them. */
public interface Namespace {
    /**
     * Decides a CONNECT with its auth payload ({@code {}} when none). Completes with whatever the namespace wants to
     * keep for the socket (its principal), or exceptionally with {@link ConnectRefusedException} whose message goes
     * back in the CONNECT_ERROR.
     */
    CompletionStage<Object> authorize(JsonNode auth);

    /**
     * As {@link #authorize(JsonNode)}, with the {@code Cookie} header of the client's Engine.IO handshake (null when
     * none): a namespace that names guests by their cookie overrides this one.
     */
    default CompletionStage<Object> authorize(JsonNode auth, String handshakeCookie) {
        return authorize(auth);
    }

    /** The socket is connected (the CONNECT reply has been sent). */
    void onConnect(SocketIoSocket socket, JsonNode auth);

    /** An EVENT: {@code args} excludes the event name; {@code ack} is null unless the client asked for one. */
    void onEvent(SocketIoSocket socket, String event, ArrayNode args, List<byte[]> attachments, Ack ack);

    void onDisconnect(SocketIoSocket socket, String reason);

    /**
     * Whether a client that authorized as {@code now} may resume a dropped socket that authorized as {@code before}
     * (connection state recovery). Namespaces that do not override this never recover.
     */
    default boolean canResume(Object before, Object now) {
        return false;
    }

    /**
     * Who a principal is, for a resume on another node (where the old principal is not at hand): a client may take
     * over a socket of another node only when both keys are equal. Null (the default) never recovers across nodes.
     */
    default String resumeKey(Object principal) {
        return null;
    }

    /**
     * The socket's client resumed on another node: let go of it here without telling anyone it left, and return the
     * state ({@link #takeOver}) the other node needs.
     */
    default JsonNode handOff(SocketIoSocket socket) {
        return null;
    }

    /** A socket handed off by another node ({@link #handOff}) is served here now; its client is connected. */
    default void takeOver(SocketIoSocket socket, JsonNode state) { }

    /** Replies to a client's ack request, at most once. */
    interface Ack {
        void send(ArrayNode args, List<byte[]> attachments);
    }
}
