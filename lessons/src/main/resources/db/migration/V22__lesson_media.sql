-- Lesson media (issue 23): what each scene says and shows (its plan, JSON), the object-store keys of its rendered MP4,
-- captions and poster; a session's current lesson version and the edit lease that serialises its edits; every
-- rendered version of a lesson (kept until the owner's lesson-media quota prunes it); every stored object's size.
ALTER TABLE scenes ADD COLUMN plan TEXT NOT NULL DEFAULT '';
ALTER TABLE scenes ADD COLUMN video_key VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE scenes ADD COLUMN captions_key VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE scenes ADD COLUMN poster_key VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE scenes ADD COLUMN duration_ms BIGINT NOT NULL DEFAULT 0;

ALTER TABLE lesson_sessions ADD COLUMN video_key VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE lesson_sessions ADD COLUMN captions_key VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE lesson_sessions ADD COLUMN poster_key VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE lesson_sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lesson_sessions ADD COLUMN edit_job VARCHAR(40);
ALTER TABLE lesson_sessions ADD COLUMN edit_until BIGINT NOT NULL DEFAULT 0;

CREATE TABLE lesson_versions (
    session_id VARCHAR(40) NOT NULL REFERENCES lesson_sessions (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    owner_id VARCHAR(64) NOT NULL,
    video_key VARCHAR(300) NOT NULL,
    captions_key VARCHAR(300) NOT NULL,
    poster_key VARCHAR(300) NOT NULL,
    duration_ms BIGINT NOT NULL,
    scenes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, version)
);
CREATE INDEX lesson_versions_owner ON lesson_versions (owner_id, created_at);

CREATE TABLE lesson_media (
    object_key VARCHAR(300) PRIMARY KEY,
    owner_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(40) NOT NULL,
    bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX lesson_media_owner ON lesson_media (owner_id);
