-- Durable streams for Orleans' ADO.NET stream provider (Microsoft.Orleans.Streaming.AdoNet 10.4.2-alpha.1,
-- invariant "Npgsql"): the catalog-change stream that keeps the search index current. The table and column
-- names the provider reads back, the parameter (@Name) names and the OrleansQuery keys below are that
-- provider's contract; the SQL, the types, the constraint, index and sequence names are ours.
--
-- How the provider uses it:
--  * A message is one batch of events for one queue (ServiceId, ProviderId = the stream provider's name,
--    QueueId = the queue the stream hashes to), its Payload serialized by Orleans. MessageId orders a queue.
--  * Each queue is polled by the pulling agent of the one silo that owns it (GetStreamMessagesKey). A
--    dequeued message stays in the table, invisible for @VisibilityTimeout seconds and with Dequeued one
--    higher: that count is the receipt the agent later confirms with. A silo that dies before confirming
--    leaves its messages to come back when they turn visible again: at-least-once delivery.
--  * Confirmation (ConfirmStreamMessagesKey) deletes a message whose receipt still matches; a negative
--    receipt (a silo shutting down gracefully) makes it visible again at once instead.
--  * A delivery that failed (FailStreamMessageKey) is retried until @MaxAttempts dequeues, then moved to
--    OrleansStreamDeadLetter; so are messages past ExpiresOn. Dead letters go after @RemovalTimeout seconds.
--  * Times are timestamptz; the provider reads them back as UTC DateTime values. Timeouts arrive in whole
--    seconds as integers.
--  * Eviction runs inside the poll, at most once per @EvictionInterval per queue (OrleansStreamControl).
--    The provider also insists on the two eviction statements of its own (EvictStreamMessagesKey,
--    EvictStreamDeadLettersKey), which this version never runs: they do the same on demand.

CREATE SEQUENCE orleans_stream_message_id AS bigint;

CREATE TABLE OrleansStreamMessage (
    ServiceId  text        NOT NULL,
    ProviderId text        NOT NULL,
    QueueId    text        NOT NULL,
    MessageId  bigint      NOT NULL,
    Dequeued   integer     NOT NULL,   -- times handed to a pulling agent; the receipt of the last one
    VisibleOn  timestamptz NOT NULL,   -- hidden from polls until then (dequeued, not yet confirmed)
    ExpiresOn  timestamptz NOT NULL,   -- undelivered by then: dead letter
    CreatedOn  timestamptz NOT NULL,
    ModifiedOn timestamptz NOT NULL,
    Payload    bytea       NOT NULL,
    CONSTRAINT orleans_stream_message_pk PRIMARY KEY (ServiceId, ProviderId, QueueId, MessageId)
);

CREATE TABLE OrleansStreamDeadLetter (
    ServiceId  text        NOT NULL,
    ProviderId text        NOT NULL,
    QueueId    text        NOT NULL,
    MessageId  bigint      NOT NULL,
    Dequeued   integer     NOT NULL,
    VisibleOn  timestamptz NOT NULL,
    ExpiresOn  timestamptz NOT NULL,
    CreatedOn  timestamptz NOT NULL,
    ModifiedOn timestamptz NOT NULL,
    DeadOn     timestamptz NOT NULL,
    RemoveOn   timestamptz NOT NULL,   -- deleted from here after that
    Payload    bytea,
    CONSTRAINT orleans_stream_dead_letter_pk PRIMARY KEY (ServiceId, ProviderId, QueueId, MessageId)
);

-- When each queue's next eviction is due: the poll that moves EvictOn forward does the eviction.
CREATE TABLE OrleansStreamControl (
    ServiceId  text        NOT NULL,
    ProviderId text        NOT NULL,
    QueueId    text        NOT NULL,
    EvictOn    timestamptz NOT NULL,
    CONSTRAINT orleans_stream_control_pk PRIMARY KEY (ServiceId, ProviderId, QueueId)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Append one message to a queue; answers its key.
('QueueStreamMessageKey', $sql$
INSERT INTO OrleansStreamMessage
       (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn, Payload)
VALUES (@ServiceId, @ProviderId, @QueueId, nextval('orleans_stream_message_id'), 0,
        now(), now() + make_interval(secs => @ExpiryTimeout), now(), now(), @Payload)
RETURNING ServiceId, ProviderId, QueueId, MessageId
$sql$),

-- One poll of a queue: when due, evict (dead-letter what expired or ran out of attempts, delete dead
-- letters past their removal time); then take up to @MaxCount visible messages in MessageId order, hide
-- them for @VisibilityTimeout seconds and count the dequeue. The evicted and the taken rows are disjoint
-- (out of attempts or expired vs. neither), so one statement does both.
('GetStreamMessagesKey', $sql$
WITH due AS (
    INSERT INTO OrleansStreamControl AS c (ServiceId, ProviderId, QueueId, EvictOn)
    VALUES (@ServiceId, @ProviderId, @QueueId, now() + make_interval(secs => @EvictionInterval))
    ON CONFLICT (ServiceId, ProviderId, QueueId) DO UPDATE
       SET EvictOn = excluded.EvictOn
     WHERE c.EvictOn <= now()
    RETURNING 1
), evicted AS (
    DELETE FROM OrleansStreamMessage AS m
     WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
       AND m.MessageId IN (
           SELECT e.MessageId
             FROM OrleansStreamMessage AS e
            WHERE EXISTS (SELECT 1 FROM due)
              AND e.ServiceId = @ServiceId AND e.ProviderId = @ProviderId AND e.QueueId = @QueueId
              AND e.VisibleOn <= now()
              AND (e.Dequeued >= @MaxAttempts OR e.ExpiresOn <= now())
            ORDER BY e.MessageId
            LIMIT @EvictionBatchSize
              FOR UPDATE SKIP LOCKED)
    RETURNING m.*
), buried AS (
    INSERT INTO OrleansStreamDeadLetter
           (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn, DeadOn, RemoveOn, Payload)
    SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn,
           now(), now() + make_interval(secs => @RemovalTimeout), Payload
      FROM evicted
), removed AS (
    DELETE FROM OrleansStreamDeadLetter AS d
     WHERE d.ServiceId = @ServiceId AND d.ProviderId = @ProviderId AND d.QueueId = @QueueId
       AND d.MessageId IN (
           SELECT r.MessageId
             FROM OrleansStreamDeadLetter AS r
            WHERE EXISTS (SELECT 1 FROM due)
              AND r.ServiceId = @ServiceId AND r.ProviderId = @ProviderId AND r.QueueId = @QueueId
              AND r.RemoveOn <= now()
            ORDER BY r.MessageId
            LIMIT @EvictionBatchSize)
), taken AS (
    SELECT t.MessageId
      FROM OrleansStreamMessage AS t
     WHERE t.ServiceId = @ServiceId AND t.ProviderId = @ProviderId AND t.QueueId = @QueueId
       AND t.Dequeued < @MaxAttempts
       AND t.VisibleOn <= now()
       AND t.ExpiresOn > now()
     ORDER BY t.MessageId
     LIMIT @MaxCount
       FOR UPDATE SKIP LOCKED
)
UPDATE OrleansStreamMessage AS m
   SET Dequeued   = m.Dequeued + 1,
       VisibleOn  = now() + make_interval(secs => @VisibilityTimeout),
       ModifiedOn = now()
  FROM taken
 WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
   AND m.MessageId = taken.MessageId
RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId, m.Dequeued, m.VisibleOn, m.ExpiresOn, m.CreatedOn, m.ModifiedOn, m.Payload
$sql$),

-- @Items is "MessageId:Dequeued|...". A positive receipt confirms (deletes) the message if it was not
-- dequeued again since; a negative one releases it (visible again now). Answers the messages affected.
('ConfirmStreamMessagesKey', $sql$
WITH items AS (
    SELECT split_part(item, ':', 1)::bigint  AS MessageId,
           split_part(item, ':', 2)::integer AS Receipt
      FROM unnest(string_to_array(@Items, '|')) AS item
), confirmed AS (
    DELETE FROM OrleansStreamMessage AS m
     USING items AS i
     WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
       AND m.MessageId = i.MessageId
       AND i.Receipt > 0 AND m.Dequeued = i.Receipt
    RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId
), released AS (
    UPDATE OrleansStreamMessage AS m
       SET VisibleOn = now(), ModifiedOn = now()
      FROM items AS i
     WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
       AND m.MessageId = i.MessageId
       AND i.Receipt < 0 AND m.Dequeued = -i.Receipt
    RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId
)
SELECT ServiceId, ProviderId, QueueId, MessageId FROM confirmed
UNION ALL
SELECT ServiceId, ProviderId, QueueId, MessageId FROM released
$sql$),

-- A delivery failed: visible again while attempts remain, else a dead letter.
('FailStreamMessageKey', $sql$
WITH retried AS (
    UPDATE OrleansStreamMessage
       SET VisibleOn = now(), ModifiedOn = now()
     WHERE ServiceId = @ServiceId AND ProviderId = @ProviderId AND QueueId = @QueueId
       AND MessageId = @MessageId
       AND Dequeued < @MaxAttempts
    RETURNING 1
), dead AS (
    DELETE FROM OrleansStreamMessage
     WHERE ServiceId = @ServiceId AND ProviderId = @ProviderId AND QueueId = @QueueId
       AND MessageId = @MessageId
       AND Dequeued >= @MaxAttempts
    RETURNING *
)
INSERT INTO OrleansStreamDeadLetter
       (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn, DeadOn, RemoveOn, Payload)
SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn,
       now(), now() + make_interval(secs => @RemovalTimeout), Payload
  FROM dead
$sql$),

-- Eviction on demand: up to @MaxCount messages that are out of attempts or expired become dead letters.
('EvictStreamMessagesKey', $sql$
WITH evicted AS (
    DELETE FROM OrleansStreamMessage AS m
     WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
       AND m.MessageId IN (
           SELECT e.MessageId
             FROM OrleansStreamMessage AS e
            WHERE e.ServiceId = @ServiceId AND e.ProviderId = @ProviderId AND e.QueueId = @QueueId
              AND e.VisibleOn <= now()
              AND (e.Dequeued >= @MaxAttempts OR e.ExpiresOn <= now())
            ORDER BY e.MessageId
            LIMIT @MaxCount
              FOR UPDATE SKIP LOCKED)
    RETURNING m.*
)
INSERT INTO OrleansStreamDeadLetter
       (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn, DeadOn, RemoveOn, Payload)
SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn,
       now(), now() + make_interval(secs => @RemovalTimeout), Payload
  FROM evicted
$sql$),

-- Up to @MaxCount dead letters past their removal time are deleted.
('EvictStreamDeadLettersKey', $sql$
DELETE FROM OrleansStreamDeadLetter AS d
 WHERE d.ServiceId = @ServiceId AND d.ProviderId = @ProviderId AND d.QueueId = @QueueId
   AND d.MessageId IN (
       SELECT r.MessageId
         FROM OrleansStreamDeadLetter AS r
        WHERE r.ServiceId = @ServiceId AND r.ProviderId = @ProviderId AND r.QueueId = @QueueId
          AND r.RemoveOn <= now()
        ORDER BY r.MessageId
        LIMIT @MaxCount)
$sql$);
