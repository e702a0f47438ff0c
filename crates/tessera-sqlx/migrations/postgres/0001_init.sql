-- Tessera's tables for PostgreSQL.

CREATE TABLE IF NOT EXISTS tessera_users (
    id             TEXT PRIMARY KEY,
    name           TEXT,
    email          TEXT UNIQUE,
    email_verified TIMESTAMPTZ,
    image          TEXT
);

CREATE TABLE IF NOT EXISTS tessera_accounts (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES tessera_users (id) ON DELETE CASCADE,
    type                TEXT NOT NULL,
    provider            TEXT NOT NULL,
    provider_account_id TEXT NOT NULL,
    access_token        TEXT,
    refresh_token       TEXT,
    expires_at          BIGINT,
    token_type          TEXT,
    scope               TEXT,
    id_token            TEXT,
    session_state       TEXT,
    -- Every other token-set field.
    extra               JSONB NOT NULL DEFAULT '{}',
    UNIQUE (provider, provider_account_id)
);

CREATE INDEX IF NOT EXISTS tessera_accounts_user_id_idx ON tessera_accounts (user_id);

CREATE TABLE IF NOT EXISTS tessera_sessions (
    session_token TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES tessera_users (id) ON DELETE CASCADE,
    expires       TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS tessera_sessions_user_id_idx ON tessera_sessions (user_id);

CREATE TABLE IF NOT EXISTS tessera_verification_tokens (
    identifier TEXT NOT NULL,
    token      TEXT NOT NULL,
    expires    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (identifier, token)
);
