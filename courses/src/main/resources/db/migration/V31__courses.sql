-- Courses, their lecturers (the creator and co-lecturers), the groups they are shared with and explicit enrolments.
-- index_generation rises with every change to what the course's passage index must hold (materials, transcripts):
-- a node whose Lucene index recorded a lower generation rebuilds it before searching.
CREATE TABLE courses (
    id VARCHAR(40) PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    code VARCHAR(40) NOT NULL,
    description TEXT NOT NULL,
    term VARCHAR(40) NOT NULL,
    language VARCHAR(16) NOT NULL,
    created_by VARCHAR(64) NOT NULL,
    index_generation BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX courses_created ON courses (created_at);

CREATE TABLE course_lecturers (
    course_id VARCHAR(40) NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_lecturers_user ON course_lecturers (user_id);

CREATE TABLE course_groups (
    course_id VARCHAR(40) NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    group_id VARCHAR(40) NOT NULL REFERENCES org_groups (id),
    PRIMARY KEY (course_id, group_id)
);
CREATE INDEX course_groups_group ON course_groups (group_id);

CREATE TABLE course_enrolments (
    course_id VARCHAR(40) NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_enrolments_user ON course_enrolments (user_id);
