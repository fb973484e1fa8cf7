-- Disaster information pages (災害情報ページ, K-07): the organisation's emergency
-- contacts and links, the evacuation routes and the bulletin board that members see
-- from their roll-call link (`/r/<token>/info`).
--
-- The writer keeps these tables beside the RollcallInfoSaved, RollcallRouteSaved,
-- RollcallRouteRemoved, RollcallNoticePosted and RollcallNoticeWithdrawn events, in the
-- same transaction: what the events hold, in the shape the pages read. A withdrawn post
-- is not deleted: it keeps its row with when, by whom and why it was withdrawn, so the
-- administrators' history shows every post ever made; members see only the others.

-- The emergency contacts and links (one row): {"contacts":[...],"links":[...]}.
CREATE TABLE rollcall_info (
    id         integer PRIMARY KEY CHECK (id = 1),
    info       jsonb NOT NULL,
    saved_at   timestamptz NOT NULL,
    saved_by   text NOT NULL
);

-- Evacuation routes, numbered in the order they were added (numbers never reused).
CREATE TABLE rollcall_routes (
    id          integer PRIMARY KEY CHECK (id > 0),
    name        text NOT NULL,
    map         text NOT NULL CHECK (map IN ('google', 'open_street_map')),
    origin      text NOT NULL,
    destination text NOT NULL,
    saved_at    timestamptz NOT NULL,
    removed_at  timestamptz
);

-- Bulletin board posts (お知らせ), numbered in posting order.
CREATE TABLE rollcall_notices (
    id              integer PRIMARY KEY CHECK (id > 0),
    title           text NOT NULL,
    body            text NOT NULL,
    posted_at       timestamptz NOT NULL,
    posted_by       text NOT NULL,
    withdrawn_at    timestamptz,
    withdrawn_by    text,
    withdraw_reason text
);

CREATE INDEX rollcall_notices_posted_idx ON rollcall_notices (posted_at DESC, id DESC);
