-- A course's lectures in order, and their transcripts. The recording (audio or video) lives in the audio bucket;
-- transcript_status is none, queued, transcribing, transcribed, failed or not_transcribed (reason in
-- transcript_reason). notes_status follows the summary/key-points job: none, queued, done, failed.
CREATE TABLE lectures (
    id VARCHAR(40) PRIMARY KEY,
    course_id VARCHAR(40) NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    lecture_date VARCHAR(10) NOT NULL,
    description TEXT NOT NULL,
    recording_key VARCHAR(300),
    recording_type VARCHAR(16),
    recording_size BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    transcript_status VARCHAR(20) NOT NULL,
    transcript_reason VARCHAR(500),
    transcript_job_id VARCHAR(40),
    summary TEXT NOT NULL,
    key_points TEXT NOT NULL,
    notes_status VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lectures_course ON lectures (course_id, position);

-- A lecture's transcript: segments in order with their start and end in the recording (milliseconds). corrected marks
-- a segment the lecturer edited.
CREATE TABLE transcript_segments (
    lecture_id VARCHAR(40) NOT NULL REFERENCES lectures (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT NOT NULL,
    text TEXT NOT NULL,
    corrected SMALLINT NOT NULL,
    PRIMARY KEY (lecture_id, seq)
);
