-- Durable reminders. `period` NULL means one-shot. `due_at` is the next time the reminder is due;
-- the reminder service polls it through reminders_due_at_idx.
CREATE TABLE reminders (
    grain_type   text        NOT NULL,
    grain_key    text        NOT NULL,
    name         text        NOT NULL,
    first_due_at timestamptz NOT NULL,
    period       interval    NULL CHECK (period IS NULL OR period > interval '0'),
    due_at       timestamptz NOT NULL,
    PRIMARY KEY (grain_type, grain_key, name)
);

CREATE INDEX reminders_due_at_idx ON reminders (due_at);
