-- Stripe webhook events already applied, by event id: a replayed event is acknowledged and ignored.
CREATE TABLE stripe_webhook_events (
    event_id    text        PRIMARY KEY,
    event_type  text        NOT NULL,
    payment_id  text,
    received_at timestamptz NOT NULL DEFAULT now()
);
