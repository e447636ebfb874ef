-- Issue #25: one attempt per student and exam (seed drives the student's shuffle), and one row per answered
-- question with its grades: automatic (objective), the model's per-criterion grade, the lecturer's override.
-- Times are server-clock epoch milliseconds.
CREATE TABLE exam_attempts (
    id VARCHAR(40) PRIMARY KEY,
    exam_id VARCHAR(40) NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    student_id VARCHAR(64) NOT NULL,
    seed BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    submitted_at BIGINT,
    UNIQUE (exam_id, student_id)
);

CREATE TABLE exam_answers (
    attempt_id VARCHAR(40) NOT NULL REFERENCES exam_attempts (id) ON DELETE CASCADE,
    question_id VARCHAR(40) NOT NULL,
    response TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    grade_status VARCHAR(16) NOT NULL,
    auto_points DOUBLE PRECISION,
    model_points DOUBLE PRECISION,
    model_grade TEXT,
    lecturer_points DOUBLE PRECISION,
    lecturer_grade TEXT,
    PRIMARY KEY (attempt_id, question_id)
);
