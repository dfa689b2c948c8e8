-- Journal rows committed in the same statement as a grain's state write (the inventory ledger,
-- the flash-sale queue, the order outbox). `sequence` orders them globally and pages them;
-- `version` is the state version they were written with, so journal and state reconcile.
CREATE TABLE IF NOT EXISTS grain_journal (
    sequence   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grain_type text        NOT NULL,
    grain_key  text        NOT NULL,
    state_name text        NOT NULL,
    version    bigint      NOT NULL,
    kind       text        NOT NULL,
    payload    jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS grain_journal_by_state ON grain_journal (grain_type, grain_key, state_name, kind, sequence);
