-- The order grain holds the truth; this index serves "my orders, newest first" and operators' lists.
CREATE TABLE order_summaries (
    order_id    text          PRIMARY KEY,
    customer_id text          NOT NULL,
    status      text          NOT NULL,
    total       numeric(19,4) NOT NULL,
    currency    char(3)       NOT NULL,
    items       integer       NOT NULL,
    placed_at   timestamptz   NOT NULL,
    updated_at  timestamptz   NOT NULL,
    version     bigint        NOT NULL
);
CREATE INDEX order_summaries_customer ON order_summaries (customer_id, placed_at DESC, order_id DESC);
CREATE INDEX order_summaries_status ON order_summaries (status, placed_at DESC, order_id DESC);
