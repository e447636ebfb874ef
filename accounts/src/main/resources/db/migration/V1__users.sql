-- Accounts. Shared by SQLite and PostgreSQL: timestamps are epoch milliseconds (BIGINT), flags are SMALLINT 0/1,
-- and ${id_column} is the dialect's auto-increment primary key (see SqlDatabase).
CREATE TABLE users (
    id ${id_column},
    email VARCHAR(254) NOT NULL,
    password_hash VARCHAR(100) NOT NULL,
    role VARCHAR(16) NOT NULL,
    display_name VARCHAR(100) NOT NULL DEFAULT '',
    disabled SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
