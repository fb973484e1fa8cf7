-- Automatic roll-calls from the meteorological agency's earthquake telegrams (K-08,
-- issue 20 item 3): what the node's feed task has read, the rules' kept state, the
-- roll-calls the rules decided (due now, later, or never started), and withdrawn
-- (取消) roll-calls.
--
-- The writer keeps these in the same transaction as the roll-call a telegram starts
-- or cancels (`store/writer/jma.rs`): a telegram is remembered exactly when its
-- decisions are, so a crash or a restart neither dispatches twice nor loses one.

-- Every telegram read, once: by where it came from (the Atom entry's id, or the file
-- name in the watched directory) and the SHA-256 of its bytes. `outcome` holds what
-- was decided (each decision with its reason), why it could not be read, or which
-- telegram it repeats; `kind` is VXSE51/52/53, early_warning, other, or '' when
-- unreadable.
CREATE TABLE jma_telegrams (
    source_kind  text NOT NULL CHECK (source_kind IN ('atom', 'directory')),
    source       text NOT NULL,
    content_hash bytea NOT NULL,
    kind         text NOT NULL,
    event_id     text NOT NULL DEFAULT '',
    report_time  timestamptz,
    summary      text NOT NULL,
    outcome      jsonb NOT NULL,
    processed_at timestamptz NOT NULL,
    PRIMARY KEY (source_kind, source, content_hash)
);

CREATE INDEX jma_telegrams_hash_idx ON jma_telegrams (content_hash);

-- The rules' memory (`anpi_core::rollcall::jma::Evaluator`, serialised): one row,
-- `version` counted up by each telegram that changes it, so that a telegram is
-- evaluated over the state the one before it left.
CREATE TABLE jma_state (
    id         integer PRIMARY KEY CHECK (id = 1),
    evaluator  jsonb NOT NULL,
    version    bigint NOT NULL,
    changed_at timestamptz NOT NULL
);

-- Each dispatch the rules decided (condition, EventID, mode): `pending` until due (a
-- delay) or until it can start (no mail server set yet), `started` with its roll-call,
-- `cancelled` by a 取消 before it started, `failed` when it could not start (the
-- directory refused it, or it expired) with the reason in `note`, `skipped` when
-- everybody it names was already asked for the same earthquake.
CREATE TABLE jma_dispatches (
    id          bigserial PRIMARY KEY,
    condition   text NOT NULL,
    event_id    text NOT NULL,
    mode        text NOT NULL CHECK (mode IN ('actual', 'drill')),
    orgs        text[] NOT NULL,
    title       text NOT NULL,
    due_at      timestamptz NOT NULL,
    reason      text NOT NULL,
    state       text NOT NULL
                CHECK (state IN ('pending', 'started', 'cancelled', 'failed', 'skipped')),
    rollcall_id uuid REFERENCES rollcalls,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    changed_at  timestamptz NOT NULL
);

CREATE INDEX jma_dispatches_key_idx ON jma_dispatches (condition, event_id, mode);
CREATE INDEX jma_dispatches_due_idx ON jma_dispatches (due_at) WHERE state = 'pending';

-- A withdrawn roll-call (RollcallCancelled): when and why. Its links then say so.
ALTER TABLE rollcalls ADD COLUMN cancelled_at timestamptz;
ALTER TABLE rollcalls ADD COLUMN cancel_reason text NOT NULL DEFAULT '';

-- Mails of a withdrawn roll-call that had not left yet are `withdrawn` (never sent;
-- their bodies, which hold the links, are emptied).
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_state_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'withdrawn'));
