-- Bulk catalog imports: the uploaded CSV file is kept with its job, so that whichever process claims the job
-- (after a crash, another one) reads the same bytes. A job advances a chunk at a time: each chunk's transaction
-- applies its rows, records its bad rows and the products it changed, and moves processed_rows, so a resumed job
-- starts after the last committed chunk.
CREATE TABLE catalog_import_jobs (
    job_id          uuid        PRIMARY KEY,
    -- An operator's Idempotency-Key: the same operator's key with the same file is the same job.
    idempotency_key text,
    file_sha256     bytea       NOT NULL,
    file            bytea       NOT NULL,
    submitted_by    text        NOT NULL,
    state           text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'completed', 'failed')),
    total_rows      integer     NOT NULL,
    processed_rows  integer     NOT NULL DEFAULT 0,
    applied         integer     NOT NULL DEFAULT 0,
    unchanged       integer     NOT NULL DEFAULT 0,
    rejected        integer     NOT NULL DEFAULT 0,
    -- The claim: a worker owns the job while lease_until is ahead; every chunk renews it and names its owner,
    -- so a worker whose lease was taken over can no longer commit a chunk.
    lease_owner     uuid,
    lease_until     timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    failure         text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    UNIQUE (submitted_by, idempotency_key)
);
CREATE INDEX catalog_import_jobs_pending ON catalog_import_jobs (created_at) WHERE state IN ('queued', 'running');

-- Bad rows: a row may be wrong in several fields, one row here per field.
CREATE TABLE catalog_import_errors (
    job_id  uuid    NOT NULL REFERENCES catalog_import_jobs (job_id),
    line    integer NOT NULL,
    field   text    NOT NULL,
    message text    NOT NULL,
    PRIMARY KEY (job_id, line, field)
);

-- Every committed chunk with the products it changed: what the search index has to follow.
CREATE TABLE catalog_import_chunks (
    job_id           uuid        NOT NULL REFERENCES catalog_import_jobs (job_id),
    first_row        integer     NOT NULL,
    row_count        integer     NOT NULL,
    changed_products text[]      NOT NULL,
    committed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, first_row)
);
