//! The log's hash chain in PostgreSQL (L-05, U-01; rules in `anpi_core::chain`):
//! the head the writer continues from, linking events written before the chain,
//! the auditor's walk over the stored log, and the children's reported heads.

use anpi_core::chain::{self, Break, ChainPoint, Link, ReceivedHead, Rewritten, Row, Step, Walk};
use anpi_core::event::{Event, Payload, SCHEMA_VERSION};
use futures::{TryStreamExt, pin_mut};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{Error, Result};

/// The log's head: its last position and the link there (L-02, L-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub position: i64,
    pub link: Link,
}

impl Head {
    pub const EMPTY: Head = Head {
        position: 0,
        link: Link::GENESIS,
    };
}

/// The payload's canonical text (`chain::to_canonical`), which the writer stores.
pub fn payload_text(payload: &Payload) -> String {
    // A payload is plain data with string keys: serialising it cannot fail.
    chain::to_canonical(payload).expect("event payloads serialise to JSON")
}

/// `event` as its link covers it (`actor` and `payload` as stored: the actor's text and
/// the payload's canonical text).
pub fn row_of<'a>(event: &'a Event, actor: &'a str, payload: &'a str) -> Row<'a> {
    let e = &event.event;
    Row {
        position: event.position,
        event_id: e.id.as_uuid(),
        kind: e.payload.kind(),
        schema_version: SCHEMA_VERSION,
        incident: e.incident.map(|i| i.as_uuid()),
        record: e.payload.record_id().map(|r| r.as_uuid()),
        origin: e.origin.as_str(),
        actor,
        written_at: e.written_at.map(|t| t.timestamp_micros()),
        received_at: e.received_at.timestamp_micros(),
        sender: e.sender,
        payload,
    }
}

/// The columns a link covers, in [`row`]'s order, and the stored link.
const COLUMNS: &str =
    "position, event_id, kind, schema_version, incident_id, record_id, origin, actor,
     written_at, received_at, payload::text, sender_position, sender_link, link";

/// A stored row as its link covers it, and its stored link (`None` when not linked).
fn row(r: &tokio_postgres::Row) -> Result<(Row<'_>, Option<Link>)> {
    let sender = match (r.get::<_, Option<i64>>(11), r.get::<_, Option<&[u8]>>(12)) {
        (Some(position), Some(bytes)) => Some(ChainPoint {
            position,
            link: Link::from_slice(bytes)
                .ok_or_else(|| Error::Identity("a stored sender link is not 32 bytes".into()))?,
        }),
        _ => None,
    };
    let written: Option<chrono::DateTime<chrono::Utc>> = r.get(8);
    let received: chrono::DateTime<chrono::Utc> = r.get(9);
    Ok((
        Row {
            position: r.get(0),
            event_id: r.get(1),
            kind: r.get(2),
            schema_version: r.get(3),
            incident: r.get(4),
            record: r.get(5),
            origin: r.get(6),
            actor: r.get(7),
            written_at: written.map(|t| t.timestamp_micros()),
            received_at: received.timestamp_micros(),
            sender,
            payload: r.get(10),
        },
        r.get::<_, Option<&[u8]>>(13).and_then(Link::from_slice),
    ))
}

/// The log's head as stored (`Head::EMPTY` for an empty log). Errors if the last
/// event has no link: [`link_unlinked`] runs first.
pub async fn head<C: GenericClient>(client: &C) -> Result<Head> {
    let Some(r) = client
        .query_opt(
            "SELECT position, link FROM events ORDER BY position DESC LIMIT 1",
            &[],
        )
        .await?
    else {
        return Ok(Head::EMPTY);
    };
    let link = r
        .get::<_, Option<&[u8]>>(1)
        .and_then(Link::from_slice)
        .ok_or_else(|| Error::Identity("the log's last event has no link".into()))?;
    Ok(Head {
        position: r.get(0),
        link,
    })
}

/// The stored link at `position`, if that event exists and is linked.
pub async fn link_at<C: GenericClient>(client: &C, position: i64) -> Result<Option<Link>> {
    Ok(client
        .query_opt("SELECT link FROM events WHERE position = $1", &[&position])
        .await?
        .and_then(|r| r.get::<_, Option<&[u8]>>(0).and_then(Link::from_slice)))
}

/// Links the events written before the chain existed (migration 0012), in position
/// order from the last linked one, a page per transaction. Returns how many. Run by
/// the writer before it starts, holding the writer lock.
pub async fn link_unlinked(client: &mut tokio_postgres::Client) -> Result<u64> {
    const PAGE: i64 = 2000;
    let mut linked = 0u64;
    loop {
        let tx = client.transaction().await?;
        let first: Option<i64> = tx
            .query_one("SELECT min(position) FROM events WHERE link IS NULL", &[])
            .await?
            .get(0);
        let Some(first) = first else {
            tx.commit().await?;
            return Ok(linked);
        };
        let mut prev = if first == 1 {
            Link::GENESIS
        } else {
            link_at(&tx, first - 1).await?.ok_or_else(|| {
                Error::Identity(format!(
                    "cannot link position {first}: the event before it is missing or unlinked"
                ))
            })?
        };
        let rows = tx
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM events WHERE position >= $1 ORDER BY position LIMIT $2"
                ),
                &[&first, &PAGE],
            )
            .await?;
        let mut positions = Vec::with_capacity(rows.len());
        let mut links: Vec<Vec<u8>> = Vec::with_capacity(rows.len());
        for (expected, r) in (first..).zip(rows.iter()) {
            let (row, stored) = row(r)?;
            if row.position != expected {
                return Err(Error::Identity(format!(
                    "cannot link the log: position {expected} is missing"
                )));
            }
            if stored.is_some() {
                break;
            }
            // The payload as PostgreSQL prints it is the canonical text for these
            // events (they were never stored in any other form).
            prev = chain::link(&prev, &row);
            positions.push(row.position);
            links.push(prev.0.to_vec());
        }
        tx.execute(
            "UPDATE events SET link = u.l FROM unnest($1::bigint[], $2::bytea[]) AS u(p, l)
             WHERE events.position = u.p AND events.link IS NULL",
            &[&positions, &links],
        )
        .await?;
        linked += positions.len() as u64;
        tx.commit().await?;
    }
}

/// What a walk over the log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Events checked.
    pub checked: u64,
    /// The last checked point: the head when the chain held.
    pub head: Option<ChainPoint>,
    /// The first break, if any.
    pub broke: Option<Break>,
    /// The children's reports whose claim for an earlier head disagrees (parents).
    pub rewritten: Vec<Rewritten>,
    /// Received events whose sender link at a report's head disagrees with that head.
    pub head_mismatches: Vec<String>,
}

/// Walks the stored log from `from` in position order (one snapshot), calling
/// `progress(position, last)` every `every` events; then checks the children's heads.
pub async fn verify(
    client: &mut tokio_postgres::Client,
    from: i64,
    every: u64,
    mut progress: impl FnMut(i64, i64),
) -> Result<Verified> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let from = from.max(1);
    let last: i64 = tx
        .query_one("SELECT COALESCE(max(position), 0) FROM events", &[])
        .await?
        .get(0);
    let prev = if from == 1 {
        Link::GENESIS
    } else {
        link_at(&tx, from - 1).await?.ok_or_else(|| {
            Error::Identity(format!(
                "position {} has no stored link to start from",
                from - 1
            ))
        })?
    };
    let mut walk = Walk::new(from, prev);
    let mut broke = None;
    {
        let rows = tx
            .query_raw(
                &format!("SELECT {COLUMNS} FROM events WHERE position >= $1 ORDER BY position"),
                &[&from],
            )
            .await?;
        pin_mut!(rows);
        let mut seen = 0u64;
        while let Some(r) = rows.try_next().await? {
            let (row, stored) = row(&r)?;
            if let Step::Broke(found) = walk.push(&row, stored) {
                broke = Some(found);
                break;
            }
            seen += 1;
            if seen.is_multiple_of(every) {
                progress(row.position, last);
            }
        }
    }
    let checked = walk.checked();
    let head = walk.head();
    if broke.is_none()
        && let Err(found) = walk.finish()
    {
        broke = Some(found);
    }
    progress(head.map_or(from - 1, |h| h.position), last);
    let heads = received_heads(&tx).await?;
    let plain: Vec<ReceivedHead> = heads.iter().map(|(h, _)| h.clone()).collect();
    let rewritten = chain::check_heads(&plain);
    let head_mismatches = held_heads(&tx, &heads).await?;
    tx.commit().await?;
    Ok(Verified {
        checked,
        head,
        broke,
        rewritten,
        head_mismatches,
    })
}

/// Every applied report's chain points, from the `ReportReceived` events of the log,
/// with the positions its new events took here.
pub async fn received_heads<C: GenericClient>(
    client: &C,
) -> Result<Vec<(ReceivedHead, Option<(i64, i64)>)>> {
    let rows = client
        .query(
            "SELECT position, payload::text FROM events WHERE kind = 'ReportReceived' ORDER BY position",
            &[],
        )
        .await?;
    let mut heads = Vec::with_capacity(rows.len());
    for r in rows {
        let payload: Payload = serde_json::from_str(r.get(1))?;
        if let Payload::ReportReceived {
            from,
            log_id,
            seq,
            head,
            since,
            first_position,
            last_position,
            ..
        } = payload
        {
            heads.push((
                ReceivedHead {
                    from: from.to_string(),
                    log_id: log_id.as_uuid(),
                    seq,
                    position: r.get(0),
                    head,
                    since,
                },
                first_position.zip(last_position),
            ));
        }
    }
    Ok(heads)
}

/// Checks each report's head against the event of that report held here at the
/// head's sender position, if the report carried it (a head is often an event that
/// is not reported).
async fn held_heads<C: GenericClient>(
    client: &C,
    heads: &[(ReceivedHead, Option<(i64, i64)>)],
) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for (report, range) in heads {
        let (Some(head), Some((first, last))) = (report.head, range) else {
            continue;
        };
        let held = client
            .query(
                "SELECT position, sender_link FROM events
                 WHERE position BETWEEN $1 AND $2 AND sender_position = $3",
                &[first, last, &head.position],
            )
            .await?;
        for r in held {
            let stored = r.get::<_, Option<&[u8]>>(1).and_then(Link::from_slice);
            if stored != Some(head.link) {
                found.push(format!(
                    "{} report {}: its head {} at its position {} differs from the link held with the event at position {}",
                    report.from,
                    report.seq,
                    head.link.short(),
                    head.position,
                    r.get::<_, i64>(0)
                ));
            }
        }
    }
    Ok(found)
}

/// The head recorded by the last report applied from `from`'s log `log_id`.
pub async fn last_received_head<C: GenericClient>(
    client: &C,
    from: &str,
    log_id: Uuid,
) -> Result<Option<ChainPoint>> {
    Ok(client
        .query_opt(
            "SELECT head_position, head_link FROM reports_received
             WHERE from_jurisdiction = $1 AND log_id = $2 AND head_position IS NOT NULL
             ORDER BY seq DESC LIMIT 1",
            &[&from, &log_id],
        )
        .await?
        .and_then(|r| {
            Some(ChainPoint {
                position: r.get(0),
                link: Link::from_slice(r.get::<_, Option<&[u8]>>(1)?)?,
            })
        }))
}
