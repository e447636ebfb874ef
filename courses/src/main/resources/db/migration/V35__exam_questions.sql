-- Issue #25: a course's question bank. A question's editable content is one JSON document (body); every change
-- writes the new state to exam_question_versions, so the history is complete and each version can be shown again.
CREATE TABLE exam_questions (
    id VARCHAR(40) PRIMARY KEY,
    course_id VARCHAR(64) NOT NULL,
    type VARCHAR(24) NOT NULL,
    status VARCHAR(16) NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL,
    source_job VARCHAR(40),
    created_by VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX exam_questions_course ON exam_questions (course_id, created_at);

CREATE TABLE exam_question_versions (
    question_id VARCHAR(40) NOT NULL REFERENCES exam_questions (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    body TEXT NOT NULL,
    change VARCHAR(32) NOT NULL,
    changed_by VARCHAR(64) NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (question_id, version)
);
