-- Durable grain state: one row per grain type, key and state name. `version` is the optimistic
-- concurrency token (exposed as the etag); it starts at 1 on insert and grows by one per write.
CREATE TABLE grain_state (
    grain_type text        NOT NULL,
    grain_key  text        NOT NULL,
    state_name text        NOT NULL,
    version    bigint      NOT NULL,
    payload    jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (grain_type, grain_key, state_name)
);
