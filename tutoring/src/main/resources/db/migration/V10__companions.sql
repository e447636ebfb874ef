-- Tutors ("companions"). Seeded from config/companions.yaml (source 'catalogue'); an entry edited through the API
-- becomes source 'api' and the file no longer touches it. Retired entries stay for history but are not listed.
CREATE TABLE companions (
    id VARCHAR(64) PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    subject VARCHAR(80) NOT NULL,
    persona TEXT NOT NULL,
    voice VARCHAR(120) NOT NULL DEFAULT '',
    avatar VARCHAR(120) NOT NULL DEFAULT '',
    greeting VARCHAR(500) NOT NULL DEFAULT '',
    retired SMALLINT NOT NULL DEFAULT 0,
    source VARCHAR(16) NOT NULL,
    created_by VARCHAR(64) NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX companions_subject ON companions (subject);
