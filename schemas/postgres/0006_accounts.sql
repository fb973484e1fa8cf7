-- The account register (A-01), roles (A-02), password state (A-03) and the read log
-- (A-06).
--
-- `accounts` is kept by the writer beside the Account* events (the events hold no
-- password hashes): the register columns come from AccountCreated, `disabled_at` is
-- the withdrawal (返却), `initial_password` marks a one-time password issued by an
-- administrator (must be changed at the first login), `password_changed_at` starts the
-- 180 days, `failed_logins` counts failures in a row and `locked_at` is set when they
-- reach the limit (AccountLocked) until an administrator unlocks it.

ALTER TABLE accounts
    ADD COLUMN holder              text NOT NULL DEFAULT '',
    ADD COLUMN affiliation         text NOT NULL DEFAULT '',
    ADD COLUMN contact             text NOT NULL DEFAULT '',
    ADD COLUMN terminal            text NOT NULL DEFAULT '',
    ADD COLUMN issued_by           text NOT NULL DEFAULT '',
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN initial_password    boolean NOT NULL DEFAULT false,
    ADD COLUMN failed_logins       integer NOT NULL DEFAULT 0,
    ADD COLUMN locked_at           timestamptz;

-- Every search and every view of personal data (A-06): who, what, when, how many.
-- Append-only, like the event log, but not part of it (reads change nothing).
CREATE TABLE read_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    account   text NOT NULL,
    role      text NOT NULL,
    operation text NOT NULL,
    query     jsonb NOT NULL,
    results   integer NOT NULL
);

CREATE INDEX read_log_at_idx ON read_log (at);
CREATE INDEX read_log_account_idx ON read_log (account, at);

CREATE TRIGGER read_log_no_update_delete
    BEFORE UPDATE OR DELETE ON read_log
    FOR EACH ROW EXECUTE FUNCTION anpi_events_append_only();
