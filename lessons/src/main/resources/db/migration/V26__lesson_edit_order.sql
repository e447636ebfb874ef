-- Edits of one session run in the order they were submitted (issue 23): each queued edit takes the session's next
-- sequence number and waits in lesson_edit_queue until it finishes; the session's edit lease is granted to an edit
-- only when no earlier edit of the session is still queued.
ALTER TABLE lesson_sessions ADD COLUMN edit_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE lesson_edit_queue (
    session_id VARCHAR(40) NOT NULL REFERENCES lesson_sessions (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    job_id VARCHAR(40) NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE INDEX lesson_edit_queue_job ON lesson_edit_queue (job_id);
