-- Seed 002's entities: a user's projects, a project's video sessions (one generation run each, with the job that runs
-- it) and a session's ordered scenes. version counts a scene's edits. Media URLs are object-store URLs, "" until made.
CREATE TABLE projects (
    id VARCHAR(40) PRIMARY KEY,
    owner_id VARCHAR(64) NOT NULL,
    title VARCHAR(200) NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_id, created_at);

CREATE TABLE lesson_sessions (
    id VARCHAR(40) PRIMARY KEY,
    project_id VARCHAR(40) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    prompt TEXT NOT NULL,
    scene_count INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    job_id VARCHAR(40),
    video_url VARCHAR(2000) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lesson_sessions_project ON lesson_sessions (project_id, created_at);

CREATE TABLE scenes (
    id VARCHAR(40) PRIMARY KEY,
    session_id VARCHAR(40) NOT NULL REFERENCES lesson_sessions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    script TEXT NOT NULL,
    narration TEXT NOT NULL,
    visual_description TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    video_url VARCHAR(2000) NOT NULL,
    audio_url VARCHAR(2000) NOT NULL,
    image_url VARCHAR(2000) NOT NULL,
    version INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (session_id, position)
);
