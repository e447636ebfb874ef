-- What each per-owner retrieval index must hold is decided here, not on any node's disk. Every change to the set
-- (an upload indexed, a re-index, a delete) adds one to the owner's generation in the transaction that records it;
-- a node's Lucene index stores the generation it reflects and catches up by difference when SQL is ahead.
-- scope: which family of indexes ("user_files"; later "course" …); owner: the index within it.
CREATE TABLE index_generations (
    scope VARCHAR(32) NOT NULL,
    owner VARCHAR(200) NOT NULL,
    generation BIGINT NOT NULL,
    PRIMARY KEY (scope, owner)
);
-- The generation at which a file's passages were last indexed: a node holding an older version re-indexes it.
ALTER TABLE user_files ADD COLUMN index_version BIGINT NOT NULL DEFAULT 0;
-- Owners with uploads from before generations: one generation, so every node compares its index with the files.
INSERT INTO index_generations (scope, owner, generation)
    SELECT 'user_files', user_id, 1 FROM user_files GROUP BY user_id;
