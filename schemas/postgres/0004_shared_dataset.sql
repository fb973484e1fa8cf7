-- The national shared dataset (共用領域): published versions at the national node and
-- the replica every node keeps. R: P-02, S-03, T-05, L-04.
--
-- At the national node, `shared_versions` is a projection of DatasetPublished events
-- (rebuilt with the private area); `parts`, `sent_at` and `sent_records` are the
-- publisher's outbox marks outside the log (a rebuild clears them, which only makes
-- the publisher send the versions again; replicas ignore versions they hold).
--
-- Every node (the national one too) keeps a replica of the published dataset in the
-- schema `shared`, filled from the NATS stream ANPI_SHARED: `shared.records` and
-- `shared.incidents` have the shape of the private-area tables (same search columns and
-- indexes, so the same search runs over either), `shared.versions` the versions
-- applied, `shared.parts` parts staged until their version is whole. The replica is a
-- copy of the national read model, not of this node's log: `anpi-node rebuild` leaves
-- it alone. A migration that adds a column to `records` adds it to `shared.records` too.

CREATE TABLE shared_versions (
    version          bigint PRIMARY KEY,
    through_position bigint NOT NULL,
    record_count     bigint NOT NULL,
    changed_count    bigint NOT NULL,
    published_at     timestamptz NOT NULL,
    actor            text NOT NULL,
    position         bigint NOT NULL,
    parts            integer,
    sent_at          timestamptz,
    sent_records     bigint NOT NULL DEFAULT 0
);

-- The publisher reads each version's delta by last change.
CREATE INDEX records_last_position_idx ON records (last_position);

-- Search answers newest 記入日時 first, 100 at a time. For a query that matches a large
-- share of the records (one common character, 中央区) walking this index until 101
-- hits beat reading and sorting every hit: at 1,000,000 records 子 went from 1.4 s to
-- 6 ms and 中央区 from 1.2 s to 3 ms (the planner picks it from the gram statistics,
-- which a larger sample makes reliable enough; rare queries keep the gram index).
CREATE INDEX records_written_idx ON records (written_at DESC, record_id);
ALTER TABLE records ALTER COLUMN grams SET STATISTICS 1000;

CREATE SCHEMA shared;

CREATE TABLE shared.records (LIKE public.records INCLUDING ALL);
ALTER TABLE shared.records ALTER COLUMN grams SET STATISTICS 1000;
CREATE TABLE shared.incidents (LIKE public.incidents INCLUDING ALL);

CREATE TABLE shared.versions (
    version          bigint PRIMARY KEY,
    log_id           uuid NOT NULL,
    through_position bigint NOT NULL,
    record_count     bigint NOT NULL,
    changed_count    bigint NOT NULL,
    parts            integer NOT NULL,
    published_at     timestamptz NOT NULL,
    received_at      timestamptz NOT NULL
);

-- A version sent twice (a new attempt) may be cut into parts differently: a version
-- is applied from the parts of one attempt.
CREATE TABLE shared.parts (
    version   bigint NOT NULL,
    attempt   uuid NOT NULL,
    part      integer NOT NULL,
    last      boolean NOT NULL,
    log_id    uuid NOT NULL,
    body      bytea NOT NULL,
    staged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (version, attempt, part)
);
