-- Admin actions and other security-relevant events, newest read first.
CREATE TABLE audit_log (
    id ${id_column},
    actor_id BIGINT,
    action VARCHAR(64) NOT NULL,
    target VARCHAR(254) NOT NULL DEFAULT '',
    detail VARCHAR(1000) NOT NULL DEFAULT '',
    address VARCHAR(64) NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
