-- The log's hash chain (L-05, U-01; issue 21; docs/adr/0018-log-hash-chain.md).
--
-- events.link: SHA-256 over the link of the event before it and this event's canonical
-- bytes (anpi_core::chain::link), written by the writer with the event. For an event
-- received in a report from below, sender_position/sender_link are where it stood in the
-- sender's log (the sender's own link), also covered by this node's link.
-- Events written before this migration get their links once, in position order, when
-- the node starts (store::chain::link_unlinked): the append-only trigger lets an UPDATE
-- through only when it sets a missing link and changes nothing else.

ALTER TABLE events
    ADD COLUMN link            bytea CHECK (octet_length(link) = 32),
    ADD COLUMN sender_position bigint,
    ADD COLUMN sender_link     bytea CHECK (octet_length(sender_link) = 32);

CREATE OR REPLACE FUNCTION anpi_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.link IS NULL AND NEW.link IS NOT NULL
       AND (NEW.position, NEW.event_id, NEW.kind, NEW.schema_version, NEW.incident_id,
            NEW.record_id, NEW.origin, NEW.actor, NEW.written_at, NEW.received_at,
            NEW.appended_at, NEW.payload, NEW.sender_position, NEW.sender_link)
           IS NOT DISTINCT FROM
           (OLD.position, OLD.event_id, OLD.kind, OLD.schema_version, OLD.incident_id,
            OLD.record_id, OLD.origin, OLD.actor, OLD.written_at, OLD.received_at,
            OLD.appended_at, OLD.payload, OLD.sender_position, OLD.sender_link) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP;
END;
$$;

-- A report's chain points, as its parts carry them (the same in every part).
ALTER TABLE report_parts
    ADD COLUMN head_position  bigint,
    ADD COLUMN head_link      bytea,
    ADD COLUMN since_position bigint,
    ADD COLUMN since_link     bytea;

-- The head each applied report recorded (projection of ReportReceived.head), so that
-- the next report of the same sender is compared with it on intake.
ALTER TABLE reports_received
    ADD COLUMN head_position bigint,
    ADD COLUMN head_link     bytea;
