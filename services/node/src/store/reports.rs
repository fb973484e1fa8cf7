//! The report tables outside the writer's transactions: the outbox the relay
//! publishes (`reports_sent`), the parts the consumer stages (`report_parts`) and the
//! receipts it owes (`reports_received`). R, L-03, T-06.
//!
//! A staged part holds the events `bus::inbound` decoded and checked, in the store's
//! own JSON form of [`NewEvent`]; the writer applies them from there without decoding
//! the wire body again.

use anpi_core::chain::ChainPoint;
use anpi_core::event::{NewEvent, Payload, REPORTABLE_KINDS};
use anpi_core::ids::LogId;
use anpi_core::jurisdiction::JurisdictionCode;
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use tokio_postgres::types::Json;
use uuid::Uuid;

use super::{Error, Result};

/// A report recorded by "report" that JetStream does not have whole yet.
#[derive(Debug, Clone)]
pub struct Unpublished {
    pub report_id: Uuid,
    pub seq: i64,
    /// The receiver's code as stored.
    pub to: String,
    pub after: i64,
    pub through: i64,
    pub event_count: i64,
}

/// Reads the reports in `reports_sent` not published yet, in report order.
pub async fn unpublished<C: GenericClient>(client: &C) -> Result<Vec<Unpublished>> {
    Ok(client
        .query(
            "SELECT report_id, seq, to_jurisdiction, after_position, through_position, event_count
             FROM reports_sent WHERE published_at IS NULL ORDER BY seq",
            &[],
        )
        .await?
        .iter()
        .map(|row| Unpublished {
            report_id: row.get(0),
            seq: row.get(1),
            to: row.get(2),
            after: row.get(3),
            through: row.get(4),
            event_count: row.get(5),
        })
        .collect())
}

/// Writes to `reports_sent` that JetStream has every part of a report, and how many
/// parts it has.
pub async fn mark_published<C: GenericClient>(
    client: &C,
    report_id: Uuid,
    parts: i32,
) -> Result<()> {
    client
        .execute(
            "UPDATE reports_sent SET published_at = now(), parts = $2 WHERE report_id = $1",
            &[&report_id, &parts],
        )
        .await?;
    Ok(())
}

/// A log event as stored, its payload as JSON text (what a report carries, L-03).
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub position: i64,
    pub event_id: Uuid,
    pub kind: String,
    pub schema_version: i32,
    pub incident_id: Option<Uuid>,
    pub origin: String,
    pub actor: String,
    pub written_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub payload_json: String,
    /// This node's chain link of the event (L-05); `None` only before it is linked.
    pub link: Option<Vec<u8>>,
}

/// Reads from `events` the events that reports carry among positions
/// `after < p <= through`, in order: reportable kinds, no local drill's (R-01, T-06).
/// Callers keep the range short (the relay pages by position range): paging by range
/// keeps the plan on the primary key whatever the statistics say, where a `LIMIT` over
/// the rest of a report let the planner choose a bitmap scan that rendered every
/// remaining payload as text before sorting — quadratic in the report's size.
pub async fn reportable_events<C: GenericClient>(
    client: &C,
    after: i64,
    through: i64,
) -> Result<Vec<StoredEvent>> {
    let kinds: &[&str] = &REPORTABLE_KINDS;
    client
        .query(
            &format!(
                "SELECT position, event_id, kind, schema_version, incident_id, origin, actor,
                        written_at, received_at, payload, link, {}
                 FROM events WHERE position > $1 AND position <= $2 AND kind = ANY($3) AND {}
                 ORDER BY position",
                super::seal::KEY_COLUMN,
                super::reader::NOT_LOCAL
            ),
            &[&after, &through, &kinds],
        )
        .await?
        .iter()
        .map(|row| {
            // The parent receives the fields in the clear (over the signed, encrypted
            // transport) and seals them under keys of its own (ADR 0019).
            let payload = super::seal::open_row(row)?;
            if let Payload::Purged { of, .. } = &payload {
                return Err(Error::Identity(format!(
                    "event at {} ({of}) was purged before it was reported",
                    row.get::<_, i64>(0)
                )));
            }
            Ok(StoredEvent {
                position: row.get(0),
                event_id: row.get(1),
                kind: row.get(2),
                schema_version: row.get(3),
                incident_id: row.get(4),
                origin: row.get(5),
                actor: row.get(6),
                written_at: row.get(7),
                received_at: row.get(8),
                payload_json: super::chain::payload_text(&payload),
                link: row.get(10),
            })
        })
        .collect::<Result<Vec<_>>>()
}

/// Deletes from `report_parts` the staged parts of reports already applied.
pub async fn drop_applied_parts<C: GenericClient>(client: &C) -> Result<()> {
    client
        .execute(
            "DELETE FROM report_parts WHERE report_id IN (SELECT report_id FROM reports_received)",
            &[],
        )
        .await?;
    Ok(())
}

/// Reads the senders (code as stored, and log) that have parts in `report_parts`.
pub async fn staged_senders<C: GenericClient>(client: &C) -> Result<Vec<(String, LogId)>> {
    Ok(client
        .query(
            "SELECT DISTINCT from_jurisdiction, log_id FROM report_parts",
            &[],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), LogId::from_uuid(row.get(1))))
        .collect())
}

/// Reads from `reports_received` the number of the sender's last applied report, if
/// any (R-02: reports are applied in their sender's order).
pub async fn last_applied_seq<C: GenericClient>(
    client: &C,
    from: &JurisdictionCode,
    log_id: LogId,
) -> Result<Option<i64>> {
    Ok(client
        .query_one(
            "SELECT max(seq) FROM reports_received WHERE from_jurisdiction = $1 AND log_id = $2",
            &[&from.as_str(), &log_id.as_uuid()],
        )
        .await?
        .get(0))
}

/// A report part as `bus::inbound` checked it: its header and its events, decoded.
#[derive(Debug, Clone)]
pub struct CheckedPart {
    pub report_id: Uuid,
    pub part: i32,
    pub last: bool,
    pub from: JurisdictionCode,
    pub log_id: LogId,
    pub seq: i64,
    pub event_count: i64,
    pub events: Vec<NewEvent>,
    /// The sender's chain at the report's end, and its link at the previous report's
    /// head (L-05); `None` from senders before the chain.
    pub head: Option<ChainPoint>,
    pub since: Option<ChainPoint>,
}

/// Writes a checked part to `report_parts` (a part staged before is left as it is),
/// its events in the store's JSON form.
pub async fn stage_part<C: GenericClient>(client: &C, part: &CheckedPart) -> Result<()> {
    client
        .execute(
            "INSERT INTO report_parts (report_id, part, last, from_jurisdiction, log_id, seq, event_count, events,
                                       head_position, head_link, since_position, since_link)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (report_id, part) DO NOTHING",
            &[
                &part.report_id,
                &part.part,
                &part.last,
                &part.from.as_str(),
                &part.log_id.as_uuid(),
                &part.seq,
                &part.event_count,
                &Json(&part.events),
                &part.head.map(|p| p.position),
                &part.head.map(|p| p.link.0.to_vec()),
                &part.since.map(|p| p.position),
                &part.since.map(|p| p.link.0.to_vec()),
            ],
        )
        .await?;
    Ok(())
}

/// Reads one staged part's events from `report_parts` (R-02; the writer applies them),
/// decoded on a blocking thread (a part holds thousands of events).
pub async fn staged_events<C: GenericClient>(
    client: &C,
    report_id: Uuid,
    part: i32,
) -> Result<Vec<NewEvent>> {
    let text: String = client
        .query_one(
            "SELECT events::text FROM report_parts WHERE report_id = $1 AND part = $2",
            &[&report_id, &part],
        )
        .await?
        .try_get(0)?;
    super::blocking(move || Ok(serde_json::from_str(&text)?)).await
}

/// Reads the parts staged before their events were kept (only the wire body), to be
/// decoded once by `bus::inbound` and written back with [`restage_events`].
pub async fn parts_without_events<C: GenericClient>(
    client: &C,
) -> Result<Vec<(Uuid, i32, String, Vec<u8>)>> {
    Ok(client
        .query(
            "SELECT report_id, part, from_jurisdiction, body FROM report_parts WHERE events IS NULL",
            &[],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect())
}

/// Writes a staged part's decoded events in place of its wire body.
pub async fn restage_events<C: GenericClient>(
    client: &C,
    report_id: Uuid,
    part: i32,
    events: &[NewEvent],
) -> Result<()> {
    client
        .execute(
            "UPDATE report_parts SET events = $3, body = NULL WHERE report_id = $1 AND part = $2",
            &[&report_id, &part, &Json(events)],
        )
        .await?;
    Ok(())
}

/// Writes to `reports_received` that the receipt of a report is in JetStream.
pub async fn mark_receipt_sent<C: GenericClient>(client: &C, report_id: Uuid) -> Result<()> {
    client
        .execute(
            "UPDATE reports_received SET receipt_sent_at = now() WHERE report_id = $1",
            &[&report_id],
        )
        .await?;
    Ok(())
}

/// An applied report whose receipt is not in JetStream yet.
#[derive(Debug, Clone)]
pub struct ReceiptOwed {
    pub report_id: Uuid,
    /// The sender's code as stored.
    pub to: String,
    pub seq: i64,
    pub appended: i64,
    pub duplicates: i64,
    pub applied_at: DateTime<Utc>,
}

/// Reads from `reports_received` the applied reports whose receipt was not sent, in
/// the order they were applied.
pub async fn receipts_owed<C: GenericClient>(client: &C) -> Result<Vec<ReceiptOwed>> {
    Ok(client
        .query(
            "SELECT report_id, from_jurisdiction, seq, event_count - duplicates, duplicates, applied_at
             FROM reports_received WHERE receipt_sent_at IS NULL ORDER BY position",
            &[],
        )
        .await?
        .iter()
        .map(|row| ReceiptOwed {
            report_id: row.get(0),
            to: row.get(1),
            seq: row.get(2),
            appended: row.get(3),
            duplicates: row.get(4),
            applied_at: row.get(5),
        })
        .collect())
}
