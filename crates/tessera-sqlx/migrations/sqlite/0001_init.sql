-- Tessera's tables for SQLite. Timestamps are epoch milliseconds (INTEGER).

CREATE TABLE IF NOT EXISTS tessera_users (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT,
    email          TEXT UNIQUE,
    email_verified INTEGER,
    image          TEXT
);

CREATE TABLE IF NOT EXISTS tessera_accounts (
    id                  TEXT PRIMARY KEY NOT NULL,
    user_id             TEXT NOT NULL REFERENCES tessera_users (id) ON DELETE CASCADE,
    type                TEXT NOT NULL,
    provider            TEXT NOT NULL,
    provider_account_id TEXT NOT NULL,
    access_token        TEXT,
    refresh_token       TEXT,
    expires_at          INTEGER,
    token_type          TEXT,
    scope               TEXT,
    id_token            TEXT,
    session_state       TEXT,
    -- Every other token-set field, as a JSON object.
    extra               TEXT NOT NULL DEFAULT '{}',
    UNIQUE (provider, provider_account_id)
);

CREATE INDEX IF NOT EXISTS tessera_accounts_user_id_idx ON tessera_accounts (user_id);

CREATE TABLE IF NOT EXISTS tessera_sessions (
    session_token TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES tessera_users (id) ON DELETE CASCADE,
    expires       INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS tessera_sessions_user_id_idx ON tessera_sessions (user_id);

CREATE TABLE IF NOT EXISTS tessera_verification_tokens (
    identifier TEXT NOT NULL,
    token      TEXT NOT NULL,
    expires    INTEGER NOT NULL,
    PRIMARY KEY (identifier, token)
);
