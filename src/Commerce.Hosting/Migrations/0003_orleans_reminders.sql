-- Durable reminders for Orleans' ADO.NET reminder service (Microsoft.Orleans.Reminders.AdoNet 10.4.2,
-- invariant "Npgsql"). The table, column and parameter (@Name) names and the OrleansQuery keys below
-- are that provider's contract and must stay as they are; the SQL itself, the types, the constraint
-- and index names are ours.
--
-- How the provider uses it:
--  * One row per (service, grain, reminder name); ServiceId is ClusterOptions.ServiceId, so reminders
--    outlive any one cluster of that service.
--  * GrainHash is the grain's uniform hash code (a uint) bound as a signed integer; each silo reads the
--    reminders of the hash ranges it owns on the ring, compared in signed order like the provider does.
--  * Period is in milliseconds. The provider reads it as a 64-bit integer and binds a 32-bit one when
--    it fits, so the column is bigint.
--  * Version is the row's etag (read back as an integer, used as its decimal string): 0 when the row
--    is created, one more at every upsert. Removing a reminder names the version it last saw; a
--    removal whose version has moved on deletes nothing and answers 0.
--  * StartTime is timestamptz; the provider binds and reads it as a UTC DateTime.

CREATE TABLE OrleansRemindersTable (
    ServiceId    text           NOT NULL,
    GrainId      text           NOT NULL,   -- GrainId.ToString(), parsed back with GrainId.Parse
    ReminderName text           NOT NULL,
    StartTime    timestamptz(3) NOT NULL,   -- first tick; later ticks follow every Period
    Period       bigint         NOT NULL,
    GrainHash    integer        NOT NULL,
    Version      integer        NOT NULL,
    CONSTRAINT orleans_reminders_pk PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- Range reads (each silo's share of the ring) filter on the hash, not on the grain.
CREATE INDEX orleans_reminders_service_hash_ix ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Register or re-register a reminder; answers the row's new Version (the new etag).
('UpsertReminderRowKey', $sql$
INSERT INTO OrleansRemindersTable AS r
       (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
   SET StartTime = excluded.StartTime,
       Period    = excluded.Period,
       GrainHash = excluded.GrainHash,
       Version   = r.Version + 1
RETURNING r.Version AS Version
$sql$),

-- All reminders of one grain.
('ReadReminderRowsKey', $sql$
SELECT GrainId, ReminderName, StartTime, Period, Version
  FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId
   AND GrainId   = @GrainId
$sql$),

-- One reminder of one grain (no row when it does not exist).
('ReadReminderRowKey', $sql$
SELECT GrainId, ReminderName, StartTime, Period, Version
  FROM OrleansRemindersTable
 WHERE ServiceId    = @ServiceId
   AND GrainId      = @GrainId
   AND ReminderName = @ReminderName
$sql$),

-- Ring range (@BeginHash, @EndHash] that does not wrap: the provider picks this one when
-- @BeginHash < @EndHash as signed integers.
('ReadRangeRows1Key', $sql$
SELECT GrainId, ReminderName, StartTime, Period, Version
  FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId
   AND GrainHash > @BeginHash
   AND GrainHash <= @EndHash
$sql$),

-- Ring range that wraps past the top (or, when @BeginHash = @EndHash, the whole ring): everything
-- above @BeginHash plus everything up to @EndHash.
('ReadRangeRows2Key', $sql$
SELECT GrainId, ReminderName, StartTime, Period, Version
  FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId
   AND (GrainHash > @BeginHash OR GrainHash <= @EndHash)
$sql$),

-- Unregister a reminder if it is still at the version the caller saw. Answers one row, one integer
-- column: 1 when it was deleted, 0 when it was missing or had moved on.
('DeleteReminderRowKey', $sql$
WITH removed AS (
    DELETE FROM OrleansRemindersTable
     WHERE ServiceId    = @ServiceId
       AND GrainId      = @GrainId
       AND ReminderName = @ReminderName
       AND Version      = @Version
    RETURNING 1
)
SELECT count(*)::integer AS RowsDeleted FROM removed
$sql$),

-- Drop every reminder of the service (IReminderTable.TestOnlyClearTable: a running silo never calls it).
('DeleteReminderRowsKey', $sql$
DELETE FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId
$sql$);
