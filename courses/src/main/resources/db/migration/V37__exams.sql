-- Issue #25: exams of a course. Items are ordered references to bank questions; publishing pins each item to the
-- question's version at that moment (question_version), so later edits of the bank never change a published exam.
-- exam_versions keeps a JSON snapshot of every change.
CREATE TABLE exams (
    id VARCHAR(40) PRIMARY KEY,
    course_id VARCHAR(64) NOT NULL,
    title VARCHAR(200) NOT NULL,
    status VARCHAR(16) NOT NULL,
    opens_at BIGINT,
    closes_at BIGINT,
    time_limit_millis BIGINT,
    released_at BIGINT,
    version INTEGER NOT NULL,
    created_by VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX exams_course ON exams (course_id, created_at);

CREATE TABLE exam_items (
    exam_id VARCHAR(40) NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_id VARCHAR(40) NOT NULL REFERENCES exam_questions (id),
    question_version INTEGER,
    PRIMARY KEY (exam_id, question_id)
);

CREATE TABLE exam_versions (
    exam_id VARCHAR(40) NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    change VARCHAR(32) NOT NULL,
    changed_by VARCHAR(64) NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (exam_id, version)
);
