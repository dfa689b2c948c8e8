-- A checkout whose order never got placed (its card declined, its stock gone) is not in the
-- customer's history; operators still list it. Rows written before this column stay listed.
ALTER TABLE order_summaries ADD COLUMN checkout_failed boolean NOT NULL DEFAULT false;
