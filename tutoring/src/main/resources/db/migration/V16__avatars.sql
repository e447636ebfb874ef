-- Avatars added through POST /api/avatar/add (the configured ones live in config/lectern.yaml). The face image and
-- the voice sample are in the object store under these keys; a row is what makes the avatar exist on every node.
CREATE TABLE avatars (
    name VARCHAR(64) PRIMARY KEY,
    description VARCHAR(500) NOT NULL DEFAULT '',
    face_key VARCHAR(200) NOT NULL,
    face_type VARCHAR(64) NOT NULL,
    voice_key VARCHAR(200) NOT NULL,
    voice_type VARCHAR(64) NOT NULL,
    created_by VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL
);
