package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkPort;
import static dev.lectern.core.config.Checks.checkPositive;
import static dev.lectern.core.config.Checks.checkRange;


/**
 * The signaling port: Socket.IO / Engine.IO and the plain JSON WebSocket dialect, rooms and relay limits, and the
 * abuse limits: each connection's event and chat-message token buckets, rooms per connection, and Engine.IO sessions
 * that have not (yet) connected to a namespace, in all and per client address; the kinds of token a connect takes.
 * {@code adHocRooms}: any room id may be joined without a REST room behind it (development and load benchmarks only).
 */
public record SignalingConfig(
        int port,
        boolean serveOnHttpPort,
        boolean devMode,
        long pingIntervalMillis,
        long pingTimeoutMillis,
        long upgradeTimeoutMillis,
        long connectTimeoutMillis,
        long recoveryWindowMillis,
        long recoveryBufferBytes,
        int maxPayloadBytes,
        int outboundQueueLimit,
        long outboundQueueBytes,
        int roomCapacity,
        int maxRoomIdChars,
        int maxSdpBytes,
        int maxCandidateChars,
        int maxMessageChars,
        double eventsPerSecond,
        int eventBurst,
        double messagesPerSecond,
        int messageBurst,
        int maxRoomsPerPeer,
        int maxSessionsWithoutConnect,
        int maxSessionsWithoutConnectPerAddress,
        java.util.List<String> tokenTypes,
        boolean adHocRooms) {

    public SignalingConfig {
        checkPort(port, "signaling.port");
        checkRange(pingIntervalMillis, 100, 3_600_000, "signaling.pingIntervalMillis");
        checkRange(pingTimeoutMillis, 100, 3_600_000, "signaling.pingTimeoutMillis");
        checkRange(upgradeTimeoutMillis, 100, 600_000, "signaling.upgradeTimeoutMillis");
        checkRange(connectTimeoutMillis, 100, 600_000, "signaling.connectTimeoutMillis");
        checkRange(recoveryWindowMillis, 0, 600_000, "signaling.recoveryWindowMillis");
        checkRange(recoveryBufferBytes, 65_536, 1L << 30, "signaling.recoveryBufferBytes");
        checkRange(maxPayloadBytes, 1024, 100 * 1024 * 1024, "signaling.maxPayloadBytes");
        checkRange(outboundQueueLimit, 1, 1_000_000, "signaling.outboundQueueLimit");
        checkRange(outboundQueueBytes, 65_536, 1L << 30, "signaling.outboundQueueBytes");
        checkRange(roomCapacity, 2, 1000, "signaling.roomCapacity");
        checkRange(maxRoomIdChars, 1, 1024, "signaling.maxRoomIdChars");
        checkPositive(maxSdpBytes, "signaling.maxSdpBytes");
        checkPositive(maxCandidateChars, "signaling.maxCandidateChars");
        checkPositive(maxMessageChars, "signaling.maxMessageChars");
        if (!(eventsPerSecond > 0) || !(messagesPerSecond > 0)) {
            throw new ConfigException("signaling.eventsPerSecond / messagesPerSecond: must be > 0");
        }
        checkRange(eventBurst, 1, 1_000_000, "signaling.eventBurst");
        checkRange(messageBurst, 1, 1_000_000, "signaling.messageBurst");
        checkRange(maxRoomsPerPeer, 1, 10_000, "signaling.maxRoomsPerPeer");
        checkRange(maxSessionsWithoutConnect, 1, 10_000_000, "signaling.maxSessionsWithoutConnect");
        checkRange(maxSessionsWithoutConnectPerAddress, 1, 1_000_000, "signaling.maxSessionsWithoutConnectPerAddress");
        tokenTypes = tokenTypes == null || tokenTypes.isEmpty() ? java.util.List.of("lectern", "oidc_id", "oidc_access")
                : java.util.List.copyOf(tokenTypes);
        acceptedTokens(tokenTypes); // a typo stops start-up
    }

    /** The kinds of token a Socket.IO or {@code /ws} connect takes: {@code tokenTypes} as the one shared check. */
    public dev.lectern.core.auth.AcceptedTokens acceptedTokens() {
        return acceptedTokens(tokenTypes);
    }

    private static dev.lectern.core.auth.AcceptedTokens acceptedTokens(java.util.List<String> names) {
        try {
            return dev.lectern.core.auth.AcceptedTokens.union(names.stream().map(
                    dev.lectern.core.auth.TokenType::parse).toList());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("signaling.tokenTypes: " + e.getMessage());
        }
    }
}
