-- A project may name the companion (tutor) whose voice narrates its lessons (issue 23); NULL = the provider's voice.
-- No foreign key: companions belong to the tutoring module, and a retired or deleted one leaves the default voice.
ALTER TABLE projects ADD COLUMN companion_id VARCHAR(64);
