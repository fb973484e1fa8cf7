-- Roll-call (安否確認, K-01..K-09): the directory, the settings, roll-calls, each
-- recipient's progress, the answer history, personal links and the mail outbox.
--
-- The writer keeps these tables beside the Rollcall* events, in the same transaction
-- (like `accounts`): what the events hold, in the shape the screens read. Two things
-- are kept here and never in the log: the SMTP password (`rollcall_settings`) and the
-- links' tokens, of which only a SHA-256 hash is stored (`rollcall_tokens`); the clear
-- token exists only in the mail (`mail_outbox.body`) until it is sent.

CREATE TABLE rollcall_orgs (
    code   text PRIMARY KEY,
    name   text NOT NULL,
    parent text REFERENCES rollcall_orgs (code)
);

CREATE TABLE rollcall_members (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    orgs       text[] NOT NULL,
    mails      text[] NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE INDEX rollcall_members_orgs_idx ON rollcall_members USING gin (orgs);

-- Roll-call roles of node accounts (K-04): {"role":"function"} or
-- {"role":"disaster_prevention","orgs":[...]}.
CREATE TABLE rollcall_roles (
    account_id text PRIMARY KEY,
    role       jsonb NOT NULL,
    assigned_at timestamptz NOT NULL,
    assigned_by text NOT NULL
);

-- The mail server settings (one row) and the SMTP AUTH password.
CREATE TABLE rollcall_settings (
    id            integer PRIMARY KEY CHECK (id = 1),
    settings      jsonb NOT NULL,
    smtp_password text NOT NULL DEFAULT '',
    changed_at    timestamptz NOT NULL
);

CREATE TABLE rollcall_templates (
    kind     text PRIMARY KEY,
    subject  text NOT NULL,
    body     text NOT NULL,
    saved_at timestamptz NOT NULL
);

CREATE TABLE rollcalls (
    rollcall_id uuid PRIMARY KEY,
    title       text NOT NULL,
    mode        text NOT NULL CHECK (mode IN ('actual', 'drill')),
    orgs        text[] NOT NULL,
    statuses    text[] NOT NULL,
    round       integer NOT NULL DEFAULT 1,
    started_at  timestamptz NOT NULL,
    started_by  text NOT NULL,
    closed_at   timestamptz
);

-- One row per member asked, as they were when it was sent; the current round's state.
CREATE TABLE rollcall_recipients (
    rollcall_id      uuid NOT NULL REFERENCES rollcalls,
    member_code      text NOT NULL,
    name             text NOT NULL,
    orgs             text[] NOT NULL,
    round            integer NOT NULL,
    opened_at        timestamptz,
    first_answered_at timestamptz,
    last_status      text,
    last_comment     text,
    last_answered_at timestamptz,
    last_proxy       text,
    PRIMARY KEY (rollcall_id, member_code)
);

-- Every answer of every round (K-09), as in the log.
CREATE TABLE rollcall_answers (
    rollcall_id uuid NOT NULL,
    member_code text NOT NULL,
    round       integer NOT NULL,
    status      text NOT NULL,
    comment     text NOT NULL,
    proxy       text,
    answered_at timestamptz NOT NULL,
    position    bigint NOT NULL
);

CREATE INDEX rollcall_answers_member_idx ON rollcall_answers (rollcall_id, member_code, answered_at);

CREATE TABLE rollcall_tokens (
    token_hash  bytea PRIMARY KEY,
    rollcall_id uuid NOT NULL REFERENCES rollcalls,
    member_code text NOT NULL,
    created_at  timestamptz NOT NULL
);

-- Mail to send (K-01, K-09). `pending` → `sending` (claimed by the mailer, committed
-- before the SMTP transaction starts) → `sent` (committed right after the server's
-- 250) or back to `pending` with `next_attempt_at` (4xx, no connection), or `failed`
-- (5xx, or too many attempts) with the server's reply. A node that stops with rows in
-- `sending` sends them again when it starts: the only mails that can arrive twice.
CREATE TABLE mail_outbox (
    id              bigserial PRIMARY KEY,
    rollcall_id     uuid REFERENCES rollcalls,
    member_code     text,
    purpose         text NOT NULL,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_at      timestamptz,
    sent_at         timestamptz,
    last_reply      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);

CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX mail_outbox_rollcall_idx ON mail_outbox (rollcall_id, member_code);
