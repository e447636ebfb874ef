-- Users' uploads (POST /api/chat/upload). The bytes live in the object store under object_key; the name is the
-- sanitised label shown back. status: pending while being indexed, indexed, failed (error says why) or not_indexed
-- (images; audio without a transcription service). session_id: the chat the upload was recorded in, if any.
CREATE TABLE user_files (
    id ${id_column},
    user_id VARCHAR(64) NOT NULL,
    filename VARCHAR(800) NOT NULL,
    file_type VARCHAR(8) NOT NULL,
    object_key VARCHAR(200) NOT NULL,
    size BIGINT NOT NULL,
    session_id VARCHAR(40),
    status VARCHAR(16) NOT NULL,
    error VARCHAR(400),
    passages INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX user_files_user ON user_files (user_id, created_at);
