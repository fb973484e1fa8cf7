-- T-06: a drill a node made for its own practice is local: its events are never
-- reported upward (anpi_core::incident::decide_create, docs/adr/0013). The flag is
-- folded from `IncidentCreated.local`; a rebuild sets it again from the log.
ALTER TABLE incidents ADD COLUMN local boolean NOT NULL DEFAULT false;

-- Incidents from the national tier travel to every node over JetStream
-- (stream ANPI_INCIDENTS): the national relay's record of what JetStream stored.
CREATE TABLE incidents_sent (
    incident_id uuid PRIMARY KEY,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
