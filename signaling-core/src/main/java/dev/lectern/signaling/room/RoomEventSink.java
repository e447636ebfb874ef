package dev.lectern.signaling.room;

/**
 * Where room activity is recorded (the transcript store). Called on an event loop: implementations that block
 * (JDBC) must hand the work to their own bounded executor and return at once.
 */
public interface RoomEventSink {
    void joined(String roomId, String userId, String peerId);

    void left(String roomId, String userId, String peerId);

    void messageStored(String roomId, String userId, String sender, String message, long timestampMillis);

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
