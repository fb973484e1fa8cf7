-- Reporting upward over NATS JetStream, intake pause. R: R-01..R-04, L-03, T-05.
--
-- reports_sent, reports_received and intake_state are projections of the log
-- (ReportSent / ReportAcknowledged, ReportReceived, IntakePaused / IntakeResumed),
-- written in the writer's transaction and rebuilt with the private area. Two columns
-- are operational state outside the log: reports_sent.published_at (the relay's
-- outbox mark: JetStream stored every part) and reports_received.receipt_sent_at
-- (the receipt to the sender was published). A rebuild clears them, which only makes
-- the relay publish again; receivers ignore what they already applied.

-- Identity of this log: a receiver orders a sender's reports by (sender, log_id, seq).
ALTER TABLE node_identity ADD COLUMN log_id uuid NOT NULL DEFAULT gen_random_uuid();

CREATE INDEX events_kind_position_idx ON events (kind, position);

-- The outbox: one row per "report" pressed at this node.
CREATE TABLE reports_sent (
    report_id        uuid PRIMARY KEY,
    seq              bigint NOT NULL UNIQUE,
    to_jurisdiction  text NOT NULL,
    after_position   bigint NOT NULL,
    through_position bigint NOT NULL,
    event_count      bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    actor            text NOT NULL,
    position         bigint NOT NULL,
    parts            integer,
    published_at     timestamptz,
    acknowledged_at  timestamptz,
    appended         bigint,
    duplicates       bigint
);

-- Reports applied from subordinate tiers.
CREATE TABLE reports_received (
    report_id         uuid PRIMARY KEY,
    from_jurisdiction text NOT NULL,
    log_id            uuid NOT NULL,
    seq               bigint NOT NULL,
    event_count       bigint NOT NULL,
    duplicates        bigint NOT NULL,
    parts             integer NOT NULL,
    first_position    bigint,
    last_position     bigint,
    applied_at        timestamptz NOT NULL,
    position          bigint NOT NULL,
    notices           jsonb NOT NULL DEFAULT '[]',
    receipt_sent_at   timestamptz,
    UNIQUE (from_jurisdiction, log_id, seq)
);

-- Parts of reports consumed from JetStream but not applied yet (a report is applied
-- whole, in its sender's order). Acknowledged to JetStream once staged here.
CREATE TABLE report_parts (
    report_id         uuid NOT NULL,
    part              integer NOT NULL,
    last              boolean NOT NULL,
    from_jurisdiction text NOT NULL,
    log_id            uuid NOT NULL,
    seq               bigint NOT NULL,
    event_count       bigint NOT NULL,
    body              bytea NOT NULL,
    staged_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, part)
);

CREATE INDEX report_parts_sender_idx ON report_parts (from_jurisdiction, log_id, seq);

-- Intake pause state, one row per scope ('own', 'reports').
CREATE TABLE intake_state (
    scope      text PRIMARY KEY CHECK (scope IN ('own', 'reports')),
    paused     boolean NOT NULL,
    changed_at timestamptz NOT NULL,
    actor      text NOT NULL,
    position   bigint NOT NULL
);
