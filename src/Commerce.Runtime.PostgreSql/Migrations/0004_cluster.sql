-- Cluster membership (as Orleans' ADO.NET clustering): one row per silo incarnation, and a version
-- row that every membership change bumps in the same transaction (optimistic concurrency).
CREATE TABLE cluster_membership_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint  NOT NULL
);
INSERT INTO cluster_membership_version (id, version) VALUES (1, 0);

CREATE TABLE cluster_silos (
    silo_id        text        PRIMARY KEY,  -- address:port@generation
    address        text        NOT NULL,
    silo_port      integer     NOT NULL,
    http_port      integer,
    generation     bigint      NOT NULL,
    status         text        NOT NULL CHECK (status IN ('joining', 'active', 'shutting_down', 'dead')),
    started_at     timestamptz NOT NULL,
    last_heartbeat timestamptz NOT NULL,
    suspicions     jsonb       NOT NULL DEFAULT '[]'
);

-- Partition leases: the single writer of a partition's grains is the silo holding its lease; the
-- epoch grows with every change of owner and fences every state, journal and reminder write.
CREATE TABLE partition_leases (
    partition  integer     PRIMARY KEY,
    owner      text,
    epoch      bigint      NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO partition_leases (partition) SELECT generate_series(0, 1023);

-- Reminders are polled per partition by the partition's owner.
ALTER TABLE reminders ADD COLUMN partition integer NOT NULL DEFAULT 0;
CREATE INDEX reminders_partition_due ON reminders (partition, due_at);
