-- Cluster membership for Orleans' ADO.NET clustering provider (Microsoft.Orleans.Clustering.AdoNet
-- 10.4.2, invariant "Npgsql"): silos and clients find each other through these two tables.
-- The table, column and parameter (@Name) names and the OrleansQuery keys below are that provider's
-- contract and must stay as they are; the SQL itself, the types and the constraint names are ours.
--
-- How the provider uses it:
--  * OrleansMembershipVersionTable holds one row per cluster (DeploymentId = ClusterOptions.ClusterId).
--    Its Version is the table version and, as a decimal string, the etag of the whole table and of
--    every row in it. Every membership change names the version it read (@Version) and moves it on by
--    one; a change whose version has moved on, or whose silo row is missing (or, for an insert, already
--    there), changes nothing and answers 0.
--  * OrleansMembershipTable holds one row per silo incarnation (address, port, generation).
--  * Queries whose answer the provider reads as true/false return one row with one integer column:
--    the number of rows written (1 = done, 0 = refused). They must always return that row, even when
--    nothing happened, since the provider takes the first row.
--  * Status is Orleans' SiloStatus as an integer: 3 = Active, 6 = Dead.
--  * Times are timestamptz; the provider binds and reads them as UTC DateTime values.

CREATE TABLE OrleansMembershipVersionTable (
    DeploymentId text           NOT NULL,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),   -- when Version last moved (for operators)
    Version      integer        NOT NULL DEFAULT 0,
    CONSTRAINT orleans_membership_version_pk PRIMARY KEY (DeploymentId)
);

CREATE TABLE OrleansMembershipTable (
    DeploymentId text           NOT NULL,
    Address      text           NOT NULL,   -- IP address as text
    Port         integer        NOT NULL,   -- silo-to-silo port
    Generation   integer        NOT NULL,   -- tells incarnations on one endpoint apart
    SiloName     text           NOT NULL,
    HostName     text           NOT NULL,
    Status       integer        NOT NULL,
    ProxyPort    integer        NOT NULL,   -- gateway port for clients, 0 when the silo is no gateway
    SuspectTimes text           NULL,       -- "silo,time|silo,time": who suspects this silo and since when
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,   -- heartbeat, rewritten without touching Version
    CONSTRAINT orleans_membership_pk PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT orleans_membership_cluster_fk FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Start-up of a silo: make sure its cluster has a version row. Answers 1 when this call created it,
-- 0 when it already existed (both are fine for the provider).
('InsertMembershipVersionKey', $sql$
WITH created AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (@DeploymentId)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS RowsWritten FROM created
$sql$),

-- A silo joins: add its row and move the version on, atomically. The version row is claimed first;
-- the new row is written only from that claim, so a stale @Version or an already listed silo writes
-- nothing and answers 0. Two joiners serialize on the version row's lock: the one that waits sees
-- the version moved and gets 0.
('InsertMembershipKey', $sql$
WITH claimed AS (
    UPDATE OrleansMembershipVersionTable AS v
       SET Version   = v.Version + 1,
           Timestamp = now()
     WHERE v.DeploymentId = @DeploymentId
       AND v.Version      = @Version
       AND NOT EXISTS (
               SELECT 1
                 FROM OrleansMembershipTable AS m
                WHERE m.DeploymentId = @DeploymentId
                  AND m.Address      = @Address
                  AND m.Port         = @Port
                  AND m.Generation   = @Generation)
    RETURNING v.DeploymentId
), added AS (
    INSERT INTO OrleansMembershipTable
           (DeploymentId, Address, Port, Generation, SiloName, HostName,
            Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime)
    SELECT c.DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
           @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime
      FROM claimed AS c
    RETURNING 1
)
SELECT count(*)::integer AS RowsWritten FROM added
$sql$),

-- A silo's status or suspicion list changes (joining -> active, a death vote, shutting down, dead):
-- rewrite the row and move the version on, atomically. The silo row is locked first so that it
-- cannot vanish between the version claim and the rewrite; no row, or a stale @Version, answers 0
-- and leaves both tables untouched.
('UpdateMembershipKey', $sql$
WITH member AS (
    SELECT m.DeploymentId
      FROM OrleansMembershipTable AS m
     WHERE m.DeploymentId = @DeploymentId
       AND m.Address      = @Address
       AND m.Port         = @Port
       AND m.Generation   = @Generation
       FOR UPDATE
), claimed AS (
    UPDATE OrleansMembershipVersionTable AS v
       SET Version   = v.Version + 1,
           Timestamp = now()
      FROM member
     WHERE v.DeploymentId = member.DeploymentId
       AND v.Version      = @Version
    RETURNING v.DeploymentId
), changed AS (
    UPDATE OrleansMembershipTable AS m
       SET Status       = @Status,
           SuspectTimes = @SuspectTimes,
           IAmAliveTime = @IAmAliveTime
      FROM claimed
     WHERE m.DeploymentId = claimed.DeploymentId
       AND m.Address      = @Address
       AND m.Port         = @Port
       AND m.Generation   = @Generation
    RETURNING 1
)
SELECT count(*)::integer AS RowsWritten FROM changed
$sql$),

-- Heartbeat: only the silo's IAmAliveTime changes; the version does not move (other silos must not
-- see a table change for it). Nothing is read back.
('UpdateIAmAlivetimeKey', $sql$
UPDATE OrleansMembershipTable
   SET IAmAliveTime = @IAmAliveTime
 WHERE DeploymentId = @DeploymentId
   AND Address      = @Address
   AND Port         = @Port
   AND Generation   = @Generation
$sql$),

-- One silo's row together with the cluster's version, read in one statement so they agree. The
-- version row always comes back; the silo columns are NULL when the silo has no row (the provider
-- tells the two apart by a NULL StartTime).
('MembershipReadRowKey', $sql$
SELECT v.DeploymentId,
       m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime,
       v.Version
  FROM OrleansMembershipVersionTable AS v
  LEFT JOIN OrleansMembershipTable AS m
         ON m.DeploymentId = v.DeploymentId
        AND m.Address      = @Address
        AND m.Port         = @Port
        AND m.Generation   = @Generation
 WHERE v.DeploymentId = @DeploymentId
$sql$),

-- Every silo row of the cluster with the cluster's version (one row of NULL silo columns when the
-- cluster has no silo yet). Silos poll this to refresh their view of the cluster.
('MembershipReadAllKey', $sql$
SELECT v.DeploymentId,
       m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime,
       v.Version
  FROM OrleansMembershipVersionTable AS v
  LEFT JOIN OrleansMembershipTable AS m
         ON m.DeploymentId = v.DeploymentId
 WHERE v.DeploymentId = @DeploymentId
$sql$),

-- Gateways for clients: active silos (@Status is always 3, Active) that listen for clients.
('GatewaysQueryKey', $sql$
SELECT Address, ProxyPort, Generation
  FROM OrleansMembershipTable
 WHERE DeploymentId = @DeploymentId
   AND Status       = @Status
   AND ProxyPort    > 0
$sql$),

-- Forget a whole cluster (IMembershipTable.DeleteMembershipTableEntries: for tests and tooling, a
-- running silo never calls it): its silo rows, then its version row, in one statement. The foreign
-- key is checked at the end of the statement, when both are gone.
('DeleteMembershipTableEntriesKey', $sql$
WITH silos_removed AS (
    DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId
)
DELETE FROM OrleansMembershipVersionTable
 WHERE DeploymentId = @DeploymentId
$sql$),

-- Periodic clean-up (ClusterMembershipOptions.DefunctSiloCleanupPeriod), bulk form: drop the rows of
-- silos that are dead and have neither started nor sent a heartbeat since @IAmAliveTime (now minus
-- DefunctSiloExpiration). The version does not move: dead rows are no part of anyone's view.
-- 10.4.2 only runs this when 'CleanupDefunctSiloEntryKey' (below) is absent.
('CleanupDefunctSiloEntriesKey', $sql$
DELETE FROM OrleansMembershipTable
 WHERE DeploymentId = @DeploymentId
   AND Status       = 6
   AND IAmAliveTime < @IAmAliveTime
   AND StartTime    < @IAmAliveTime
$sql$),

-- Periodic clean-up, row-by-row form (optional key, preferred by 10.4.2 when present): the provider
-- reads the table, picks the dead rows that are old enough, and deletes each one only if it is still
-- exactly as read (still dead, same start and heartbeat times, same suspicion list), so a row that
-- changed in between is left for the next round. An absent suspicion list may come back as NULL or
-- as an empty string, so the two count as equal.
('CleanupDefunctSiloEntryKey', $sql$
DELETE FROM OrleansMembershipTable
 WHERE DeploymentId = @DeploymentId
   AND Address      = @Address
   AND Port         = @Port
   AND Generation   = @Generation
   AND Status       = 6
   AND StartTime    = @StartTime
   AND IAmAliveTime = @IAmAliveTime
   AND coalesce(SuspectTimes, '') = coalesce(@SuspectTimes, '')
$sql$);
