-- Publication decisions (公表, X-02, X-04; guideline 第5 4(4), 第5 4(3)イ(ウ)).
-- Projected from `PublicationDecided` events: the latest decision about each record
-- stands. `confirmed_body` is NULL for this body's own decision about a record it
-- collected, else the collecting body the decision was confirmed with (and
-- `confirmed_contact`, whom there). The record may be in the private area (`records`)
-- or only in the shared dataset's replica (`shared.records`).
CREATE TABLE publication_decisions (
    record_id         uuid PRIMARY KEY,
    incident_id       uuid NOT NULL,
    publish           boolean NOT NULL,
    basis             text,
    reason            text NOT NULL,
    confirmed_body    text,
    confirmed_contact text,
    decided_at        timestamptz NOT NULL,
    actor             text NOT NULL,
    position          bigint NOT NULL
);

-- The publication list: the body's own decisions to publish, per incident.
CREATE INDEX publication_decisions_list_idx ON publication_decisions (incident_id, decided_at)
    WHERE publish AND confirmed_body IS NULL;
