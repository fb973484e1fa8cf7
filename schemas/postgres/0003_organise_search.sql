-- Organising (dedup) and search columns of the private area. R: D-01..D-07, S-01..S-04,
-- P-04, N-04, L-04.
--
-- Every column added to `records` is derived from the record's entry by
-- anpi_core::search::Indexed (canonical keys, N-04) when the projection writes the
-- record; none is input. The projection is reset so that a rebuild fills them for
-- records written before this migration.

ALTER TABLE records
    ADD COLUMN origin           text,
    ADD COLUMN written_at       timestamptz,
    ADD COLUMN received_at      timestamptz,
    -- 4-information keys (D-01): canonical and raw (strict mode, D-03); NULL when any
    -- of the four is unknown, so such a record is never merged automatically.
    ADD COLUMN dedup_key        text,
    ADD COLUMN dedup_key_strict text,
    -- name + birth date (D-04): suspected duplicates.
    ADD COLUMN suspect_key      text,
    -- Tolerant exact search (S-01).
    ADD COLUMN name_key         text,
    ADD COLUMN kana_key         text,
    ADD COLUMN birth_date       date,
    ADD COLUMN sex              text,
    ADD COLUMN address_key      text,
    ADD COLUMN nationality      text,
    ADD COLUMN nationality_key  text,
    -- Partial search (S-02): search keys and their tagged 1- and 2-character grams
    -- (ADR 0006).
    ADD COLUMN name_search      text,
    ADD COLUMN kana_search      text,
    ADD COLUMN address_search   text,
    ADD COLUMN text_search      text,
    ADD COLUMN grams            text[];

CREATE INDEX records_dedup_idx ON records (incident_id, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX records_dedup_strict_idx ON records (incident_id, dedup_key_strict)
    WHERE dedup_key_strict IS NOT NULL;
CREATE INDEX records_suspect_idx ON records (incident_id, suspect_key) WHERE suspect_key IS NOT NULL;
CREATE INDEX records_name_key_idx ON records (name_key);
CREATE INDEX records_kana_key_idx ON records (kana_key);
CREATE INDEX records_birth_idx ON records (birth_date);
CREATE INDEX records_address_key_idx ON records (address_key);
CREATE INDEX records_grams_idx ON records USING gin (grams);

-- Pairs that automatic removal kept both of (D-02, 例3), for the operator.
CREATE TABLE duplicate_flags (
    older       uuid NOT NULL,
    newer       uuid NOT NULL,
    incident_id uuid,
    mode        text NOT NULL,
    flagged_at  timestamptz NOT NULL,
    position    bigint NOT NULL,
    PRIMARY KEY (older, newer)
);

-- Refill the projection (with the new columns) at the next start.
DELETE FROM records;
DELETE FROM incidents;
UPDATE projection_checkpoints SET position = 0 WHERE name = 'private_area';
