-- The job engine's queue and result store: one row per job, from enqueue to its final state (Celery's names:
-- PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED). A claim sets lease_owner/lease_until and bumps lease_token, the
-- fencing token: a completion names the token it was claimed with and changes nothing once another claim moved it on.
-- run_at is when the job may next run (enqueue time, an ETA, or a retry's backoff). Times are epoch milliseconds.
CREATE TABLE job (
    id VARCHAR(40) PRIMARY KEY,
    kind VARCHAR(64) NOT NULL,
    state VARCHAR(10) NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    owner VARCHAR(64),
    idempotency_key VARCHAR(200) UNIQUE,
    payload TEXT NOT NULL,
    result TEXT,
    error VARCHAR(2000),
    progress_percent DOUBLE PRECISION,
    progress_message VARCHAR(500),
    partial_result TEXT,
    lease_owner VARCHAR(64),
    lease_until BIGINT,
    lease_token BIGINT NOT NULL DEFAULT 0,
    cancel_requested SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX job_ready ON job (priority DESC, run_at) WHERE state IN ('PENDING', 'RETRY');
CREATE INDEX job_due ON job (run_at) WHERE state IN ('PENDING', 'RETRY');
CREATE INDEX job_leased ON job (lease_owner) WHERE state = 'STARTED';
CREATE INDEX job_lease_expiry ON job (lease_until) WHERE state = 'STARTED';
CREATE INDEX job_owner ON job (owner, created_at);
CREATE INDEX job_created ON job (created_at);

-- Outbound webhooks: one row per (state change, endpoint). id is the webhook-id the receiver dedupes on (kept on a
-- redelivery); the delivering is itself a job (delivery_job_id) so it shares the engine's retries and leases.
CREATE TABLE webhook_delivery (
    id VARCHAR(40) PRIMARY KEY,
    endpoint VARCHAR(2000) NOT NULL,
    event_type VARCHAR(64) NOT NULL,
    job_id VARCHAR(40),
    payload TEXT NOT NULL,
    status VARCHAR(12) NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error VARCHAR(1000),
    delivery_job_id VARCHAR(40),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_delivery_job ON webhook_delivery (job_id, created_at);
CREATE INDEX webhook_delivery_created ON webhook_delivery (created_at);
