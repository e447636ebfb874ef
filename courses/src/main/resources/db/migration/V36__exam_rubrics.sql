-- Issue #25: Canvas-shaped rubrics (criteria with ratings) of a course, reusable across questions; versioned like
-- questions.
CREATE TABLE exam_rubrics (
    id VARCHAR(40) PRIMARY KEY,
    course_id VARCHAR(64) NOT NULL,
    title VARCHAR(200) NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_by VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX exam_rubrics_course ON exam_rubrics (course_id, created_at);

CREATE TABLE exam_rubric_versions (
    rubric_id VARCHAR(40) NOT NULL REFERENCES exam_rubrics (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    body TEXT NOT NULL,
    changed_by VARCHAR(64) NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (rubric_id, version)
);
