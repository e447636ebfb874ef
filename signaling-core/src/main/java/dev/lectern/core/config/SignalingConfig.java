package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkPort;

/** The signaling port: Socket.IO / Engine.IO and the plain JSON WebSocket dialect. */
public record SignalingConfig(int port) {
    public SignalingConfig {
        checkPort(port, "signaling.port");
    }
}
