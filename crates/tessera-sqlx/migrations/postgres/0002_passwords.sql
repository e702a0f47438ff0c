-- Password hashes of the `password` provider: one Argon2id PHC string per user, gone with
-- the user.
CREATE TABLE IF NOT EXISTS tessera_passwords (
    user_id    TEXT PRIMARY KEY REFERENCES tessera_users (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL
);
