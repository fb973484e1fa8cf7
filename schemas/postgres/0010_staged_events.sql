-- R-02: a staged report part holds the events bus::inbound decoded and checked (the
-- store's JSON form of anpi_core::event::NewEvent), so the writer applies them without
-- decoding the wire body a second time. Parts staged before this migration keep their
-- body until the consumer's next start decodes them once and writes their events.
ALTER TABLE report_parts ADD COLUMN events jsonb;
ALTER TABLE report_parts ALTER COLUMN body DROP NOT NULL;
ALTER TABLE report_parts ADD CONSTRAINT report_parts_events_or_body
    CHECK (events IS NOT NULL OR body IS NOT NULL);
