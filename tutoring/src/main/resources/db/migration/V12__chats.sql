-- Text chats with the AI tutor: one row per conversation, one per message. A user message is stored before the
-- model is asked; an answer is stored complete, or interrupted when the client went away or barged in.
CREATE TABLE chat_sessions (
    id ${id_column},
    user_id VARCHAR(64) NOT NULL,
    title VARCHAR(200) NOT NULL,
    companion_id VARCHAR(64),
    is_favorite SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX chat_sessions_user ON chat_sessions (user_id, updated_at);

CREATE TABLE chat_messages (
    id ${id_column},
    session_id BIGINT NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    role VARCHAR(16) NOT NULL,
    content TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_messages_session ON chat_messages (session_id, id);
