-- R-02, issue 18: a staged part's events are kept as `json` (their text as written)
-- rather than `jsonb`. They are only ever written whole by bus::inbound and read whole
-- by the writer, never queried inside, so jsonb's parse on the way in and its
-- conversion back to text on the way out (about a tenth of the national intake's time
-- in PostgreSQL, measured with the intake benchmark) bought nothing.
ALTER TABLE report_parts ALTER COLUMN events TYPE json USING events::json;
