-- Journal records committed in the same transaction as a grain's state write (inventory ledger
-- rows, outbox events). `sequence` orders them globally and pages them; `version` is the state
-- version the record was written with, so journal and state can always be reconciled.
CREATE TABLE grain_journal (
    sequence   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grain_type text        NOT NULL,
    grain_key  text        NOT NULL,
    state_name text        NOT NULL,
    version    bigint      NOT NULL,
    kind       text        NOT NULL,
    payload    jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX grain_journal_by_state ON grain_journal (grain_type, grain_key, state_name, kind, sequence);
