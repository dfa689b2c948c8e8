-- Durable grain state: one row per grain type, key and state name, the document as jsonb so that
-- operators and SQL can read it. `version` is the optimistic-concurrency token (the etag): 1 on
-- insert, one more per write; a write names the version it read and is refused if it moved on.
-- IF NOT EXISTS: databases created before the move to Orleans already hold this table unchanged.
CREATE TABLE IF NOT EXISTS grain_state (
    grain_type text        NOT NULL,
    grain_key  text        NOT NULL,
    state_name text        NOT NULL,
    version    bigint      NOT NULL,
    payload    jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (grain_type, grain_key, state_name)
);
