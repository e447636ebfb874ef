-- Issue #25, interim: who teaches / takes a course and the course's citable passages, read by SqlExamCourses until
-- the courses service of issue #24 answers the ExamCourses port. Delete this file and SqlExamCourses at that merge.
CREATE TABLE exam_course_members (
    course_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    role VARCHAR(16) NOT NULL,
    PRIMARY KEY (course_id, user_id)
);

CREATE TABLE exam_course_passages (
    id VARCHAR(64) PRIMARY KEY,
    course_id VARCHAR(64) NOT NULL,
    source_id VARCHAR(64) NOT NULL,
    title VARCHAR(200) NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX exam_course_passages_course ON exam_course_passages (course_id, source_id, position);
