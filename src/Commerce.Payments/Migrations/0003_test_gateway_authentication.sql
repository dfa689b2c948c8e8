-- 3-D Secure in the built-in gateway: a charge that waits for the customer keeps the secret its test-bank page
-- is opened with and the payment to report the outcome to; once answered, the outcome (succeeded or failed),
-- so that a repeat of the same answer is recognised.
ALTER TABLE test_gateway_charges
    ADD COLUMN payment_id     text,
    ADD COLUMN client_secret  text,
    ADD COLUMN authentication text CHECK (authentication IN ('succeeded', 'failed'));
