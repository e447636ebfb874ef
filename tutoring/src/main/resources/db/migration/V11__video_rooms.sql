-- Video rooms, who took part, what was said, and the session records written when a room ends.
-- User ids are the token's subject (VARCHAR), so rows stay readable whatever the account store's key type.
CREATE TABLE video_rooms (
    room_id VARCHAR(40) PRIMARY KEY,
    owner_id VARCHAR(64) NOT NULL,
    companion_id VARCHAR(64),
    status VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX video_rooms_owner ON video_rooms (owner_id, created_at);
CREATE INDEX video_rooms_created ON video_rooms (created_at);

CREATE TABLE room_participants (
    room_id VARCHAR(40) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    first_joined_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE room_messages (
    id ${id_column},
    room_id VARCHAR(40) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    sender VARCHAR(64) NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX room_messages_room ON room_messages (room_id, id);
CREATE INDEX room_messages_created ON room_messages (created_at);

CREATE TABLE video_sessions (
    session_id ${id_column},
    room_id VARCHAR(40) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    companion_id VARCHAR(64),
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL,
    duration_seconds BIGINT NOT NULL,
    message_count INTEGER NOT NULL,
    transcript_preview VARCHAR(400) NOT NULL
);
CREATE INDEX video_sessions_user ON video_sessions (user_id, ended_at);
CREATE INDEX video_sessions_ended ON video_sessions (ended_at);
