-- The built-in payment gateway's own books (what Stripe keeps on its side in test mode).
CREATE TABLE test_gateway_charges (
    charge_id         text          PRIMARY KEY,
    payment_method_id text          NOT NULL,
    reference         text          NOT NULL,
    amount            numeric(19,4) NOT NULL CHECK (amount > 0),
    currency          char(3)       NOT NULL,
    captured          numeric(19,4) NOT NULL DEFAULT 0,
    refunded          numeric(19,4) NOT NULL DEFAULT 0 CHECK (refunded <= captured),
    status            text          NOT NULL,
    created_at        timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX test_gateway_charges_reference ON test_gateway_charges (reference);

-- Every money-moving request by idempotency key, with its answer: a repeated key gets the saved answer.
CREATE TABLE test_gateway_requests (
    idempotency_key text        PRIMARY KEY,
    fingerprint     text        NOT NULL,
    response        jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
