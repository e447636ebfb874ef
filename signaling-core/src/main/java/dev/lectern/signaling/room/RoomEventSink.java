package dev.lectern.signaling.room;

/**
 * Where room activity is recorded (the transcript store). Called on an event loop: implementations that block
 * (JDBC) must hand the work to their own bounded executor and return at once.
 */
public interface RoomEventSink {
    void joined(String roomId, String userId, String peerId);

    void left(String roomId, String userId, String peerId);

    void messageStored(String roomId, String userId, String sender, String message, long timestampMillis);

    /** A message with the URL of its spoken audio (the tutor's lines); stores the URL where the sink keeps one. */
    default void messageStored(String roomId, String userId, String sender, String message, long timestampMillis,
                               String audioUrl) {
        messageStored(roomId, userId, sender, message, timestampMillis);
    }

    /** Records nothing. */
    RoomEventSink NONE = new RoomEventSink() {
        @Override
        public void joined(String roomId, String userId, String peerId) { }

        @Override
        public void left(String roomId, String userId, String peerId) { }

        @Override
        public void messageStored(String roomId, String userId, String sender, String message, long timestampMillis) { }
    };
}
