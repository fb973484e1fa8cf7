//! The log's hash chain (L-05, U-01; issue 21, decisions in `docs/adr/0018-log-hash-chain.md`).
//!
//! Every event of a node's log carries a **link**: SHA-256 over the link of the event
//! before it (the genesis link for position 1) and the event's canonical bytes — its
//! position, identity, kind, schema version, incident, record, origin, actor, 記入日時,
//! 受信日時, the sender's link when it came in a report from below, and the payload as
//! PostgreSQL's `jsonb` prints it. Changing, dropping or moving a stored event breaks
//! the chain at that position; the parent holds each report's head, so a child that
//! rewrites history it has already reported, and re-hashes its chain to hide it, is
//! found at the parent by the next report's claim for the old head.
//!
//! Pure: the adapters read the stored columns into a [`Row`] and feed [`Walk`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod canonical;

pub use canonical::{CanonicalError, to_canonical};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A link of the chain (SHA-256).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Link(pub [u8; 32]);

impl Link {
    /// The link "before" position 1.
    pub const GENESIS: Link = Link([0; 32]);

    /// From stored bytes; `None` unless exactly 32.
    pub fn from_slice(bytes: &[u8]) -> Option<Link> {
        Some(Link(bytes.try_into().ok()?))
    }

    pub fn hex(&self) -> String {
        crate::trust::encode_hex(&self.0)
    }

    /// 64 hex digits (either case).
    pub fn parse_hex(text: &str) -> Option<Link> {
        let text = text.trim();
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Link(out))
    }

    /// The first 8 bytes in hex, for messages.
    pub fn short(&self) -> String {
        crate::trust::encode_hex(&self.0[..8])
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Link({})", self.short())
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl Serialize for Link {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Link, D::Error> {
        let text = String::deserialize(deserializer)?;
        Link::parse_hex(&text).ok_or_else(|| serde::de::Error::custom("a link is 64 hex digits"))
    }
}

/// A point of a log's chain: a position and the link there (a report's head, a
/// received event's place in the sender's log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPoint {
    pub position: i64,
    pub link: Link,
}

/// One stored event as its link covers it: the log's columns, times in microseconds
/// since the Unix epoch (what PostgreSQL keeps), the payload in its canonical text
/// ([`canonical_json`]).
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub position: i64,
    pub event_id: Uuid,
    pub kind: &'a str,
    pub schema_version: i32,
    pub incident: Option<Uuid>,
    pub record: Option<Uuid>,
    pub origin: &'a str,
    pub actor: &'a str,
    pub written_at: Option<i64>,
    pub received_at: i64,
    /// Where the event stood in the sender's log, for an event received from below.
    pub sender: Option<ChainPoint>,
    pub payload: &'a str,
}

const TAG: &[u8] = b"anpi-log-chain-v1";

/// The link of `row` after `prev`: SHA-256 over a domain tag, `prev` and the row's
/// fields, each fixed-size or length-prefixed so that no two rows give the same bytes.
pub fn link(prev: &Link, row: &Row<'_>) -> Link {
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(prev.0);
    h.update(row.position.to_be_bytes());
    h.update(row.event_id.as_bytes());
    text(&mut h, row.kind);
    h.update(row.schema_version.to_be_bytes());
    uuid_opt(&mut h, row.incident);
    uuid_opt(&mut h, row.record);
    text(&mut h, row.origin);
    text(&mut h, row.actor);
    match row.written_at {
        Some(t) => {
            h.update([1]);
            h.update(t.to_be_bytes());
        }
        None => h.update([0]),
    }
    h.update(row.received_at.to_be_bytes());
    match row.sender {
        Some(point) => {
            h.update([1]);
            h.update(point.position.to_be_bytes());
            h.update(point.link.0);
        }
        None => h.update([0]),
    }
    text(&mut h, row.payload);
    Link(h.finalize().into())
}

fn text(h: &mut Sha256, value: &str) {
    h.update((value.len() as u64).to_be_bytes());
    h.update(value.as_bytes());
}

fn uuid_opt(h: &mut Sha256, value: Option<Uuid>) {
    match value {
        Some(id) => {
            h.update([1]);
            h.update(id.as_bytes());
        }
        None => h.update([0]),
    }
}

// ---------------------------------------------------------------------------------
// The canonical payload text

/// `value` as PostgreSQL prints a `jsonb` holding it: object keys ordered by length,
/// then bytewise; `", "` and `": "` between items; strings escaped as PostgreSQL's
/// `escape_json` does (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control
/// characters as `\u00xx`, everything else as is). The writer stores this text, so the
/// log's `payload::text` reads back exactly the bytes the link covered; a verifier
/// hashes what it reads without parsing it.
///
/// Numbers are written as serde_json writes them; payloads hold integers only, whose
/// forms agree (`chain` tests in anpi-node compare every payload kind with PostgreSQL).
/// [`to_canonical`] writes the same text from any serialisable value directly.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| {
                a.len()
                    .cmp(&b.len())
                    .then_with(|| a.as_bytes().cmp(b.as_bytes()))
            });
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, key);
                out.push_str(": ");
                write_value(out, &map[key]);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------
// Walking a log

/// Why the chain broke at a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Break {
    /// Positions `from..=to` are absent: events were deleted.
    Missing { from: i64, to: i64 },
    /// The event at `position` no longer matches its link, and the events after it
    /// still follow from that link: its content was changed in place.
    Altered { position: i64 },
    /// The event at `position` belongs at `with` (or the one at `with` here): two
    /// events were swapped.
    Reordered { position: i64, with: i64 },
    /// The event at `position` does not follow from the one before it, and no swap
    /// explains it: it was altered together with the links after it, or the event
    /// before it was altered and re-linked.
    Broken { position: i64 },
    /// The event at `position` has no link stored (written before the chain existed
    /// and not yet linked, or the link was removed).
    Unlinked { position: i64 },
}

impl Break {
    /// The first position the break concerns.
    pub fn position(&self) -> i64 {
        match self {
            Break::Missing { from, .. } => *from,
            Break::Altered { position }
            | Break::Reordered { position, .. }
            | Break::Broken { position }
            | Break::Unlinked { position } => *position,
        }
    }

    /// What happened, in English (for the auditor's report and logs).
    pub fn describe(&self) -> String {
        match self {
            Break::Missing { from, to } if from == to => {
                format!("position {from} is missing: the event was deleted")
            }
            Break::Missing { from, to } => {
                format!("positions {from}..={to} are missing: the events were deleted")
            }
            Break::Altered { position } => format!(
                "position {position} was altered: its content no longer matches its link, while the events after it still follow from that link"
            ),
            Break::Reordered { position, with } => format!(
                "positions {position} and {with} were swapped: the event at {position} belongs at {with}"
            ),
            Break::Broken { position } => format!(
                "the chain breaks at position {position}: its link does not follow from the event before it (this event was altered together with its link, or the one before it was altered and re-linked)"
            ),
            Break::Unlinked { position } => {
                format!("position {position} has no link stored")
            }
        }
    }
}

/// An owned copy of a row, kept while a break is classified.
#[derive(Debug, Clone)]
struct Kept {
    position: i64,
    event_id: Uuid,
    kind: String,
    schema_version: i32,
    incident: Option<Uuid>,
    record: Option<Uuid>,
    origin: String,
    actor: String,
    written_at: Option<i64>,
    received_at: i64,
    sender: Option<ChainPoint>,
    payload: String,
    stored: Link,
}

impl Kept {
    fn of(row: &Row<'_>, stored: Link) -> Kept {
        Kept {
            position: row.position,
            event_id: row.event_id,
            kind: row.kind.to_string(),
            schema_version: row.schema_version,
            incident: row.incident,
            record: row.record,
            origin: row.origin.to_string(),
            actor: row.actor.to_string(),
            written_at: row.written_at,
            received_at: row.received_at,
            sender: row.sender,
            payload: row.payload.to_string(),
            stored,
        }
    }

    /// The row as if it stood at `position`.
    fn at(&self, position: i64) -> Row<'_> {
        Row {
            position,
            event_id: self.event_id,
            kind: &self.kind,
            schema_version: self.schema_version,
            incident: self.incident,
            record: self.record,
            origin: &self.origin,
            actor: &self.actor,
            written_at: self.written_at,
            received_at: self.received_at,
            sender: self.sender,
            payload: &self.payload,
        }
    }
}

/// How many events after a break are read to tell an alteration from a swap.
pub const LOOKAHEAD: usize = 4096;

/// A break being classified: the failing row, the link expected before it, and what
/// the rows after it showed so far.
#[derive(Debug)]
struct Suspect {
    row: Kept,
    prev: Link,
    /// The stored link of the last row read after the failing one.
    last: Link,
    seen: usize,
    /// Whether the row right after the failing one follows from its stored link.
    next_follows: Option<bool>,
}

/// What a walk found so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Keep feeding rows.
    Continue,
    /// The chain breaks; stop.
    Broke(Break),
}

/// Walks a log in position order (`anpi audit verify`): feed every row with its
/// stored link, then [`Walk::finish`].
#[derive(Debug)]
pub struct Walk {
    prev: Link,
    expected: i64,
    checked: u64,
    suspect: Option<Suspect>,
}

impl Walk {
    /// A walk from `from` (1 for the whole log), trusting `prev` as the link before it.
    pub fn new(from: i64, prev: Link) -> Walk {
        Walk {
            prev,
            expected: from,
            checked: 0,
            suspect: None,
        }
    }

    /// Events verified so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The last verified point (position, link), if any event was verified.
    pub fn head(&self) -> Option<ChainPoint> {
        (self.checked > 0).then_some(ChainPoint {
            position: self.expected - 1,
            link: self.prev,
        })
    }

    /// Feeds the next row in position order with its stored link (`None`: not stored).
    pub fn push(&mut self, row: &Row<'_>, stored: Option<Link>) -> Step {
        if let Some(suspect) = &mut self.suspect {
            return classify(suspect, row, stored);
        }
        if row.position != self.expected {
            return Step::Broke(if row.position > self.expected {
                Break::Missing {
                    from: self.expected,
                    to: row.position - 1,
                }
            } else {
                // Rows come in position order: a repeat cannot happen with the log's
                // primary key; treat it as a break here.
                Break::Broken {
                    position: row.position,
                }
            });
        }
        let Some(stored) = stored else {
            return Step::Broke(Break::Unlinked {
                position: row.position,
            });
        };
        if link(&self.prev, row) == stored {
            self.prev = stored;
            self.expected += 1;
            self.checked += 1;
            return Step::Continue;
        }
        self.suspect = Some(Suspect {
            row: Kept::of(row, stored),
            prev: self.prev,
            last: stored,
            seen: 0,
            next_follows: None,
        });
        Step::Continue
    }

    /// The end of the rows: `Ok(head)` when the chain held (`None`: no rows), or the
    /// break being classified.
    pub fn finish(self) -> Result<Option<ChainPoint>, Break> {
        match self.suspect {
            None => Ok(self.head()),
            Some(suspect) => Err(conclude(&suspect)),
        }
    }
}

fn classify(suspect: &mut Suspect, row: &Row<'_>, stored: Option<Link>) -> Step {
    let failing = suspect.row.position;
    let Some(stored) = stored else {
        return Step::Broke(conclude(suspect));
    };
    // The failing row's content belongs here (hashes left in place, or the rows
    // moved with their links).
    let here = link(&suspect.last, &suspect.row.at(row.position));
    // This row's content belongs at the failing position.
    let there = link(
        &suspect.prev,
        &Row {
            position: failing,
            ..*row
        },
    );
    if here == stored
        || here == suspect.row.stored
        || there == suspect.row.stored
        || there == stored
    {
        return Step::Broke(Break::Reordered {
            position: failing,
            with: row.position,
        });
    }
    if suspect.next_follows.is_none() {
        suspect.next_follows = Some(link(&suspect.row.stored, row) == stored);
    }
    suspect.last = stored;
    suspect.seen += 1;
    if suspect.seen >= LOOKAHEAD {
        return Step::Broke(conclude(suspect));
    }
    Step::Continue
}

fn conclude(suspect: &Suspect) -> Break {
    let position = suspect.row.position;
    match suspect.next_follows {
        // The last event: nothing after it tells; its content does not match.
        None | Some(true) => Break::Altered { position },
        Some(false) => Break::Broken { position },
    }
}

// ---------------------------------------------------------------------------------
// A head kept outside the node

/// What a head kept outside the node (printed by `anpi audit verify`, on paper or in
/// another system) says about the log now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeptHead {
    /// The log holds the kept link at its position.
    Holds,
    /// The log ends before the kept position: events at its end were removed.
    Shorter { kept: i64, last: i64 },
    /// The log holds another link there: history up to it was rewritten and re-linked.
    Differs { position: i64 },
}

impl KeptHead {
    /// Compares a kept head with the log's last position and its stored link there.
    pub fn compare(kept: ChainPoint, last: i64, stored: Option<Link>) -> KeptHead {
        if last < kept.position {
            KeptHead::Shorter {
                kept: kept.position,
                last,
            }
        } else if stored != Some(kept.link) {
            KeptHead::Differs {
                position: kept.position,
            }
        } else {
            KeptHead::Holds
        }
    }

    /// Reads `POSITION:LINK` (the form `anpi audit verify` prints).
    pub fn parse_point(text: &str) -> Option<ChainPoint> {
        let (position, link) = text.trim().split_once(':')?;
        let position: i64 = position.trim().parse().ok()?;
        (position >= 1).then_some(())?;
        Some(ChainPoint {
            position,
            link: Link::parse_hex(link)?,
        })
    }
}

// ---------------------------------------------------------------------------------
// A child's reported heads, checked at the parent

/// One report applied at the parent, as its `ReportReceived` event records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedHead {
    pub from: String,
    pub log_id: Uuid,
    pub seq: i64,
    /// The parent's position of the `ReportReceived` event.
    pub position: i64,
    /// The sender's chain at the report's end.
    pub head: Option<ChainPoint>,
    /// The sender's link, as its log held it when it sent this report, at the
    /// previous report's head.
    pub since: Option<ChainPoint>,
}

/// A child's history that no longer agrees with what it reported before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewritten {
    pub from: String,
    pub seq: i64,
    /// The parent's position of the report that showed it.
    pub position: i64,
    /// The sender's position whose link changed.
    pub at: i64,
    pub recorded: Link,
    pub claimed: Link,
}

impl Rewritten {
    pub fn describe(&self) -> String {
        format!(
            "{} rewrote history it had reported: report {} (applied here at position {}) gives link {} for its position {}, but the report before recorded {}",
            self.from,
            self.seq,
            self.position,
            self.claimed.short(),
            self.at,
            self.recorded.short(),
        )
    }
}

/// Checks each child's reports in order: every report's `since` must equal the head
/// the report before it recorded. `heads` in any order.
pub fn check_heads(heads: &[ReceivedHead]) -> Vec<Rewritten> {
    let mut sorted: Vec<&ReceivedHead> = heads.iter().collect();
    sorted.sort_by(|a, b| (&a.from, a.log_id, a.seq).cmp(&(&b.from, b.log_id, b.seq)));
    let mut found = Vec::new();
    for pair in sorted.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        if before.from != after.from || before.log_id != after.log_id {
            continue;
        }
        let (Some(head), Some(since)) = (before.head, after.since) else {
            continue;
        };
        if let Some(rewritten) = compare_since(&after.from, after.seq, after.position, head, since)
        {
            found.push(rewritten);
        }
    }
    found
}

/// Whether a report's `since` disagrees with the head recorded for the report before
/// it (also used on intake).
pub fn compare_since(
    from: &str,
    seq: i64,
    position: i64,
    recorded: ChainPoint,
    since: ChainPoint,
) -> Option<Rewritten> {
    (since.position == recorded.position && since.link != recorded.link).then(|| Rewritten {
        from: from.to_string(),
        seq,
        position,
        at: since.position,
        recorded: recorded.link,
        claimed: since.link,
    })
}

#[cfg(test)]
mod tests;
