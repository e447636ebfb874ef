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
