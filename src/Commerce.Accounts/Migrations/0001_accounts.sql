CREATE TABLE accounts (
    account_id       text        PRIMARY KEY,
    email            text        NOT NULL,
    normalized_email text        NOT NULL UNIQUE,
    password_hash    text        NOT NULL,
    role             text        NOT NULL CHECK (role IN ('customer', 'operator')),
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per sign-in: bearer and refresh tokens name their session, and logging out revokes it.
CREATE TABLE account_sessions (
    session_id  text        PRIMARY KEY,
    account_id  text        NOT NULL REFERENCES accounts (account_id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX account_sessions_account ON account_sessions (account_id);
