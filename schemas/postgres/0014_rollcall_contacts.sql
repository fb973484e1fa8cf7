-- Emergency contacts (緊急連絡先, K-05): each member's phone numbers and contact
-- addresses, the personal links that set them or confirm an address, as the
-- RollcallContactsSet, RollcallContactMailsSent and RollcallContactConfirmed events
-- hold them. Written by the writer beside the events, like 0011_rollcall.sql.

-- A member's contacts; no row: never set (未設定). `set_by`: the administrator who set
-- them on the member's behalf (代理設定); NULL: the member through their link.
CREATE TABLE rollcall_contacts (
    member_code text PRIMARY KEY,
    phones      text[] NOT NULL,
    mails       text[] NOT NULL,
    set_at      timestamptz NOT NULL,
    set_by      text
);

-- Personal links of the contact mails; only the SHA-256 of the token is kept.
-- `request`: opens the member's contact form (to the directory's addresses);
-- `check`: confirms `address` receives mail (one link per contact address). The
-- latest `contact_check` row of `mail_outbox` for the member and address tells
-- whether the mail left; `confirmed_at`, whether a link to the address was used.
-- A link stops working at `expires_at`, or when the member is removed.
CREATE TABLE rollcall_contact_links (
    token_hash   bytea PRIMARY KEY,
    member_code  text NOT NULL,
    purpose      text NOT NULL CHECK (purpose IN ('request', 'check')),
    address      text,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    confirmed_at timestamptz,
    CHECK ((purpose = 'check') = (address IS NOT NULL))
);

CREATE INDEX rollcall_contact_links_member_idx
    ON rollcall_contact_links (member_code, purpose, address, created_at DESC);
