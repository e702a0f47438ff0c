-- Two-factor sign-in (TOTP, RFC 6238): one set-up per user (the secret, sealed by Tessera,
-- and the last time step a code was accepted for, against replays), and its single-use
-- recovery codes (hashes), all gone with the user.
CREATE TABLE IF NOT EXISTS tessera_two_factor (
    user_id        TEXT PRIMARY KEY REFERENCES tessera_users (id) ON DELETE CASCADE,
    secret         TEXT NOT NULL,
    last_used_step BIGINT
);
CREATE TABLE IF NOT EXISTS tessera_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES tessera_users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
