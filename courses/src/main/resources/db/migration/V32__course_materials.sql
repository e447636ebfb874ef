-- A course's uploaded materials (PDF, DOCX, text, slides as PDF), optionally attached to one lecture. status is
-- indexed, failed or not_indexed (with error); the object lives in the content bucket.
CREATE TABLE course_materials (
    id VARCHAR(40) PRIMARY KEY,
    course_id VARCHAR(40) NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lecture_id VARCHAR(40),
    filename VARCHAR(255) NOT NULL,
    file_type VARCHAR(16) NOT NULL,
    object_key VARCHAR(300) NOT NULL,
    size BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    error VARCHAR(500),
    passages INTEGER NOT NULL,
    created_by VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX course_materials_course ON course_materials (course_id, created_at);
