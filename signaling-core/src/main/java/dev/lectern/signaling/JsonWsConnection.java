package dev.lectern.signaling;

/** The inbound side of one {@code /ws} connection, called on its event loop. */
public interface JsonWsConnection {
    void onText(String frame);

    void onClose();
}
