-- Seed 004's organisation: regions hold groups, a user belongs to at most one group (user_id is the accounts user's
-- id as text, so that externally provisioned users fit too). Shared by SQLite and PostgreSQL.
CREATE TABLE regions (
    id VARCHAR(40) PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX regions_name ON regions (name);

CREATE TABLE org_groups (
    id VARCHAR(40) PRIMARY KEY,
    region_id VARCHAR(40) NOT NULL REFERENCES regions (id),
    name VARCHAR(100) NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX org_groups_name ON org_groups (region_id, name);

CREATE TABLE user_groups (
    user_id VARCHAR(64) PRIMARY KEY,
    group_id VARCHAR(40) NOT NULL REFERENCES org_groups (id)
);
CREATE INDEX user_groups_group ON user_groups (group_id);
