-- Retention end and purge (issue 21 item 4, A-06; docs/adr/0019-retention-and-purge.md).
--
-- data_keys: one random 256-bit AES-GCM key per event that carries personal fields
-- (anpi_core::seal), kept outside the log. The event's payload holds those fields
-- sealed under it; the hash chain covers the sealed text. Purging an incident deletes
-- its keys (then VACUUM FULL, so no dead tuple keeps one): its events still verify but
-- read back as "purged". `subject` is the record or inquiry the event is about.
CREATE TABLE data_keys (
    event_id    uuid PRIMARY KEY,
    subject     uuid,
    incident_id uuid,
    key         bytea NOT NULL CHECK (octet_length(key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_keys_incident_idx ON data_keys (incident_id);
CREATE INDEX data_keys_subject_idx ON data_keys (subject);

-- RetentionSet / IncidentPurged, projected (the shared replica's copy follows its
-- table: shared.incidents was made LIKE incidents).
ALTER TABLE incidents
    ADD COLUMN retention_until date,
    ADD COLUMN purged_at       timestamptz;
ALTER TABLE shared.incidents
    ADD COLUMN retention_until date,
    ADD COLUMN purged_at       timestamptz;

-- Tables a purge rewrote or must still rewrite (VACUUM FULL cannot run inside the
-- purge's transaction; the writer runs it after the commit and again at start for any
-- row left with vacuumed_at NULL by a crash).
CREATE TABLE purges (
    incident_id uuid PRIMARY KEY,
    purged_at   timestamptz NOT NULL,
    vacuumed_at timestamptz
);

-- The read log stays append-only, except that a purge may blank the query of a read
-- that named the purged incident's records (its operation, account, time and count stay).
CREATE OR REPLACE FUNCTION anpi_read_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.query = '{"purged": true}'::jsonb
       AND (NEW.id, NEW.at, NEW.account, NEW.role, NEW.operation, NEW.results)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.account, OLD.role, OLD.operation, OLD.results) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the read log is append-only (% refused)', TG_OP;
END;
$$;
DROP TRIGGER read_log_no_update_delete ON read_log;
CREATE TRIGGER read_log_no_update_delete
    BEFORE UPDATE OR DELETE ON read_log
    FOR EACH ROW EXECUTE FUNCTION anpi_read_log_append_only();
