-- The node's event log and its private-area projection. R: L-01, L-02, L-04, A-01, T-04.
--
-- `events` is append-only: positions are assigned by the node's single writer task
-- and committed in order, so a reader following `position` never skips an event that
-- commits late (L-02). UPDATE, DELETE and TRUNCATE are refused by triggers.

CREATE TABLE node_identity (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    jurisdiction text NOT NULL,
    tier         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
    position       bigint PRIMARY KEY CHECK (position > 0),
    event_id       uuid NOT NULL UNIQUE,
    kind           text NOT NULL,
    schema_version integer NOT NULL,
    incident_id    uuid,
    record_id      uuid,
    origin         text NOT NULL,
    actor          text NOT NULL,
    written_at     timestamptz,
    received_at    timestamptz NOT NULL,
    appended_at    timestamptz NOT NULL DEFAULT now(),
    payload        jsonb NOT NULL
);

CREATE INDEX events_record_idx ON events (record_id) WHERE record_id IS NOT NULL;

CREATE FUNCTION anpi_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER events_no_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION anpi_events_append_only();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION anpi_events_append_only();

-- Incidents (事案), projected from IncidentCreated.
CREATE TABLE incidents (
    incident_id uuid PRIMARY KEY,
    name        text NOT NULL,
    mode        text NOT NULL CHECK (mode IN ('actual', 'drill')),
    created_at  timestamptz NOT NULL,
    position    bigint NOT NULL
);

-- The private area (専用領域): one row per record, `data` is the folded RecordState.
CREATE TABLE records (
    record_id         uuid PRIMARY KEY,
    incident_id       uuid NOT NULL,
    state             text NOT NULL,
    recorded_position bigint NOT NULL,
    last_position     bigint NOT NULL,
    data              jsonb NOT NULL
);

CREATE INDEX records_incident_idx ON records (incident_id, recorded_position);
CREATE INDEX records_position_idx ON records (recorded_position);

-- Each projection's checkpoint: the last position folded into it.
CREATE TABLE projection_checkpoints (
    name     text PRIMARY KEY,
    position bigint NOT NULL
);

-- Staff accounts (A-01, minimal) and login sessions.
CREATE TABLE accounts (
    account_id    text PRIMARY KEY,
    display_name  text NOT NULL,
    role          text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (account_id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
