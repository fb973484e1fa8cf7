//! Reading the log and the projections. R: L-02, L-04, S-04.

use anpi_core::event::{Actor, Event, NewEvent};
use anpi_core::ids::{AccountId, EventId, IncidentId, LogId};
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::private_area::RecordState;
use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

use super::intake::{IntakeState, ScopeState};
use super::{Error, Result};

/// The identity of this node's log.
pub async fn log_id<C: GenericClient>(client: &C) -> Result<LogId> {
    let row = client
        .query_opt("SELECT log_id FROM node_identity", &[])
        .await?
        .ok_or_else(|| {
            Error::Identity("the database has no node identity; run `anpi-node init`".into())
        })?;
    Ok(LogId::from_uuid(row.get(0)))
}

/// The committed intake pause state.
pub async fn intake_state<C: GenericClient>(client: &C) -> Result<IntakeState> {
    let mut state = IntakeState::default();
    for row in client
        .query(
            "SELECT scope, paused, changed_at, actor FROM intake_state",
            &[],
        )
        .await?
    {
        let scope: String = row.get(0);
        let value = ScopeState {
            paused: row.get(1),
            changed_at: Some(row.get(2)),
            actor: Some(row.get(3)),
        };
        match scope.as_str() {
            "own" => state.own = value,
            "reports" => state.reports = value,
            other => return Err(Error::Identity(format!("unknown intake scope {other}"))),
        }
    }
    Ok(state)
}

/// The position of the last committed event (0 for an empty log).
pub async fn head_position<C: GenericClient>(client: &C) -> Result<i64> {
    let row = client
        .query_one("SELECT COALESCE(max(position), 0) FROM events", &[])
        .await?;
    Ok(row.get(0))
}

fn parse_actor(text: &str) -> Result<Actor> {
    let (code, account) = text
        .split_once('/')
        .ok_or_else(|| Error::Identity(format!("malformed actor {text}")))?;
    Ok(Actor {
        jurisdiction: JurisdictionCode::parse(code).map_err(|e| Error::Identity(e.to_string()))?,
        account: AccountId::parse(account).map_err(Error::Identity)?,
    })
}

pub(crate) fn event_from_row(row: &Row) -> Result<Event> {
    let incident: Option<Uuid> = row.get("incident_id");
    let origin: String = row.get("origin");
    let actor: String = row.get("actor");
    Ok(Event {
        position: row.get("position"),
        event: NewEvent {
            id: EventId::from_uuid(row.get("event_id")),
            incident: incident.map(IncidentId::from_uuid),
            origin: JurisdictionCode::parse(&origin).map_err(|e| Error::Identity(e.to_string()))?,
            actor: parse_actor(&actor)?,
            written_at: row.get("written_at"),
            received_at: row.get("received_at"),
            sender: None,
            payload: super::seal::open_row(row)?,
        },
    })
}

/// Events with position > `after`, in order, at most `limit`.
pub async fn read_events<C: GenericClient>(
    client: &C,
    after: i64,
    limit: i64,
) -> Result<Vec<Event>> {
    read_event_rows(client, after, limit)
        .await?
        .iter()
        .map(event_from_row)
        .collect()
}

/// The rows of `read_events`, not yet decoded (`event_from_row`).
pub async fn read_event_rows<C: GenericClient>(
    client: &C,
    after: i64,
    limit: i64,
) -> Result<Vec<Row>> {
    Ok(client
        .query(
            &format!(
                "SELECT position, event_id, incident_id, origin, actor, written_at, received_at, payload,
                        {}
                 FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                super::seal::KEY_COLUMN
            ),
            &[&after, &limit],
        )
        .await?)
}

/// Which events `read_events_filtered` returns (U-01); `None`: any.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub kinds: Option<Vec<String>>,
    pub record: Option<Uuid>,
    /// An account ID (any jurisdiction) or `jurisdiction/account`.
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Events after `after` that pass `filter`, in log order, at most `limit`.
pub async fn read_events_filtered<C: GenericClient>(
    client: &C,
    after: i64,
    limit: i64,
    filter: &EventFilter,
) -> Result<Vec<Event>> {
    let rows = client
        .query(
            &format!(
                "SELECT position, event_id, incident_id, origin, actor, written_at, received_at, payload,
                        {}
             FROM events
             WHERE position > $1
               AND ($3::text[] IS NULL OR kind = ANY ($3))
               AND ($4::uuid IS NULL OR record_id = $4)
               AND ($5::text IS NULL OR actor = $5 OR actor LIKE '%/' || $5)
               AND ($6::timestamptz IS NULL OR received_at >= $6)
               AND ($7::timestamptz IS NULL OR received_at < $7)
             ORDER BY position LIMIT $2",
                super::seal::KEY_COLUMN
            ),
            &[
                &after,
                &limit,
                &filter.kinds,
                &filter.record,
                &filter.actor,
                &filter.from,
                &filter.until,
            ],
        )
        .await?;
    rows.iter().map(event_from_row).collect()
}

pub async fn inquiries_by_id<C: GenericClient>(
    client: &C,
    ids: &[Uuid],
) -> Result<Vec<anpi_core::inquiry::InquiryState>> {
    let rows = client
        .query(
            "SELECT data FROM inquiries WHERE inquiry_id = ANY($1)",
            &[&ids],
        )
        .await?;
    rows.iter()
        .map(|row| crate::store::decoded(row, 0))
        .collect()
}

/// Inquiries newest first (at most `limit`).
pub async fn list_inquiries<C: GenericClient>(
    client: &C,
    limit: i64,
) -> Result<Vec<anpi_core::inquiry::InquiryState>> {
    let rows = client
        .query(
            "SELECT data FROM inquiries ORDER BY registered_at DESC, inquiry_id LIMIT $1",
            &[&limit],
        )
        .await?;
    rows.iter()
        .map(|row| crate::store::decoded(row, 0))
        .collect()
}

pub async fn records_by_id<C: GenericClient>(client: &C, ids: &[Uuid]) -> Result<Vec<RecordState>> {
    records_by_id_in(client, "records", ids).await
}

/// Records of `table` (the private area's, or the shared replica's) by id.
pub async fn records_by_id_in<C: GenericClient>(
    client: &C,
    table: &str,
    ids: &[Uuid],
) -> Result<Vec<RecordState>> {
    let rows = client
        .query(
            &format!("SELECT data FROM {table} WHERE record_id = ANY($1)"),
            &[&ids],
        )
        .await?;
    rows.iter()
        .map(|row| crate::store::decoded(row, 0))
        .collect()
}

/// Records of the private area in recording order, optionally of one incident.
pub async fn list_records<C: GenericClient>(
    client: &C,
    incident: Option<IncidentId>,
    include_deleted: bool,
    after_position: i64,
    limit: i64,
) -> Result<Vec<RecordState>> {
    let incident = incident.map(|i| i.as_uuid());
    let rows = client
        .query(
            "SELECT data FROM records
             WHERE ($1::uuid IS NULL OR incident_id = $1)
               AND ($2 OR state <> 'deleted')
               AND recorded_position > $3
             ORDER BY recorded_position LIMIT $4",
            &[&incident, &include_deleted, &after_position, &limit],
        )
        .await?;
    rows.iter()
        .map(|row| crate::store::decoded(row, 0))
        .collect()
}

pub async fn list_incidents<C: GenericClient>(client: &C) -> Result<Vec<Incident>> {
    incidents_where(client, "incidents", 0, i64::MAX).await
}

/// The incidents of `table` (the private area's, or the shared replica's) created at
/// positions `after < p <= through`, in order.
pub async fn incidents_where<C: GenericClient>(
    client: &C,
    table: &str,
    after: i64,
    through: i64,
) -> Result<Vec<Incident>> {
    let rows = client
        .query(
            &format!(
                "SELECT incident_id, name, mode, created_at FROM {table}
                 WHERE position > $1 AND position <= $2 ORDER BY position"
            ),
            &[&after, &through],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let mode: String = row.get(2);
            Ok(Incident {
                id: IncidentId::from_uuid(row.get(0)),
                name: row.get(1),
                mode: IncidentMode::parse(&mode)
                    .ok_or_else(|| Error::Identity(format!("unknown mode {mode}")))?,
                created_at: row.get(3),
            })
        })
        .collect()
}

/// The drills this node made for its own practice (T-06): never reported upward.
pub async fn local_incidents<C: GenericClient>(client: &C) -> Result<Vec<IncidentId>> {
    Ok(client
        .query("SELECT incident_id FROM incidents WHERE local", &[])
        .await?
        .iter()
        .map(|row| IncidentId::from_uuid(row.get(0)))
        .collect())
}

/// (National) this node's own incidents that JetStream has not stored yet, in order
/// (T-06; the incidents relay's outbox).
pub async fn incidents_not_sent<C: GenericClient>(client: &C) -> Result<Vec<Incident>> {
    let sent: Vec<uuid::Uuid> = client
        .query("SELECT incident_id FROM incidents_sent", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    Ok(list_incidents(client)
        .await?
        .into_iter()
        .filter(|incident| !sent.contains(&incident.id.as_uuid()))
        .collect())
}

/// (National) records that JetStream stored `incident` (idempotent).
pub async fn mark_incident_sent<C: GenericClient>(client: &C, incident: IncidentId) -> Result<()> {
    client
        .execute(
            "INSERT INTO incidents_sent (incident_id) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&incident.as_uuid()],
        )
        .await?;
    Ok(())
}

/// One row of `reports_sent`.
#[derive(Debug, Clone)]
pub struct SentRow {
    pub report_id: Uuid,
    pub seq: i64,
    pub to: String,
    pub event_count: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub parts: Option<i32>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub acknowledged_at: Option<chrono::DateTime<chrono::Utc>>,
    pub appended: Option<i64>,
    pub duplicates: Option<i64>,
    /// The modes of the incidents the report carried (T-04): `actual`, `drill`.
    pub modes: Vec<String>,
}

/// One row of `reports_received`.
#[derive(Debug, Clone)]
pub struct ReceivedRow {
    pub report_id: Uuid,
    pub from: String,
    pub seq: i64,
    pub event_count: i64,
    pub duplicates: i64,
    pub parts: i32,
    pub applied_at: chrono::DateTime<chrono::Utc>,
    pub last_position: Option<i64>,
    pub notices: Vec<anpi_core::report::Notice>,
    /// The modes of the incidents the report carried (T-04): `actual`, `drill`.
    pub modes: Vec<String>,
}

/// The SQL of the distinct incident modes of the events at positions
/// `after < p <= through` (a report's range), in the order actual, drill.
fn modes_between(after: &str, through: &str) -> String {
    format!(
        "ARRAY(SELECT DISTINCT i.mode FROM events e JOIN incidents i ON i.incident_id = e.incident_id
                WHERE e.position > {after} AND e.position <= {through} ORDER BY i.mode)"
    )
}

/// The newest reports this node sent, newest first.
pub async fn sent_reports<C: GenericClient>(client: &C, limit: i64) -> Result<Vec<SentRow>> {
    let rows = client
        .query(
            &format!(
                "SELECT report_id, seq, to_jurisdiction, event_count, created_at, actor, parts,
                        published_at, acknowledged_at, appended, duplicates, {}
                 FROM reports_sent s ORDER BY seq DESC LIMIT $1",
                modes_between("s.after_position", "s.through_position")
            ),
            &[&limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| SentRow {
            report_id: r.get(0),
            seq: r.get(1),
            to: r.get(2),
            event_count: r.get(3),
            created_at: r.get(4),
            actor: r.get(5),
            parts: r.get(6),
            published_at: r.get(7),
            acknowledged_at: r.get(8),
            appended: r.get(9),
            duplicates: r.get(10),
            modes: r.get(11),
        })
        .collect())
}

/// The newest reports received from subordinates, newest first.
pub async fn received_reports<C: GenericClient>(
    client: &C,
    limit: i64,
) -> Result<Vec<ReceivedRow>> {
    let rows = client
        .query(
            &format!(
                "SELECT report_id, from_jurisdiction, seq, event_count, duplicates, parts, applied_at,
                        last_position, notices, {}
                 FROM reports_received r ORDER BY position DESC LIMIT $1",
                modes_between("r.first_position - 1", "r.last_position")
            ),
            &[&limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ReceivedRow {
                report_id: r.get(0),
                from: r.get(1),
                seq: r.get(2),
                event_count: r.get(3),
                duplicates: r.get(4),
                parts: r.get(5),
                applied_at: r.get(6),
                last_position: r.get(7),
                notices: crate::store::decoded(r, 8)?,
                modes: r.get(9),
            })
        })
        .collect()
}

/// The condition that keeps a local drill's events out of reports (T-06): events of
/// an incident this node made for its own practice are never reported upward.
pub const NOT_LOCAL: &str =
    "(incident_id IS NULL OR incident_id NOT IN (SELECT incident_id FROM incidents WHERE local))";

/// Reporting progress: the last position covered by a report, and how many
/// reportable events lie after it — in all, and of those collected elsewhere
/// (received from below, not yet forwarded).
pub async fn unreported<C: GenericClient>(
    client: &C,
    own: &JurisdictionCode,
) -> Result<(i64, i64, i64)> {
    let kinds: &[&str] = &anpi_core::event::REPORTABLE_KINDS;
    let row = client
        .query_one(
            "WITH reported AS (SELECT COALESCE(max(through_position), 0) AS through FROM reports_sent)
             SELECT reported.through,
                    count(e.position),
                    count(e.position) FILTER (WHERE e.origin <> $2)
             FROM reported LEFT JOIN events e
               ON e.position > reported.through AND e.kind = ANY($1)
                  AND (e.incident_id IS NULL
                       OR e.incident_id NOT IN (SELECT incident_id FROM incidents WHERE local))
             GROUP BY reported.through",
            &[&kinds, &own.as_str()],
        )
        .await?;
    Ok((row.get(0), row.get(1), row.get(2)))
}
