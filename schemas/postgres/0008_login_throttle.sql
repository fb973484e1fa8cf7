-- Login throttling instead of the lockout (A-03, docs/adr/0012-login-throttling.md).
--
-- `failed_logins` keeps counting an account's failures in a row; `last_failed_login_at`
-- is when the last one was, from which the account's back-off runs (and after a day
-- without one they are forgotten). `login_addresses` holds the last few client
-- addresses (IPv4, or an IPv6 /64) the account logged in from: a login from one of
-- them is not slowed by the account's own failures. `locked_at` stays for accounts
-- locked before this migration; nothing locks an account any more.
-- Per-address counters are kept in the node's memory, not here.

ALTER TABLE accounts
    ADD COLUMN last_failed_login_at timestamptz,
    ADD COLUMN login_addresses      text[] NOT NULL DEFAULT '{}';
