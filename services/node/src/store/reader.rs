//! Reading the log and the projections. R: L-02, L-04, S-04.

use anpi_core::event::{Actor, Event, NewEvent, Payload};
use anpi_core::ids::{AccountId, EventId, IncidentId};
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::private_area::RecordState;
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

use super::{Error, Result};

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

fn event_from_row(row: &Row) -> Result<Event> {
    let payload: serde_json::Value = row.get("payload");
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
            payload: serde_json::from_value::<Payload>(payload)?,
        },
    })
}

/// Events with position > `after`, in order, at most `limit`.
pub async fn read_events<C: GenericClient>(
    client: &C,
    after: i64,
    limit: i64,
) -> Result<Vec<Event>> {
    let rows = client
        .query(
            "SELECT position, event_id, incident_id, origin, actor, written_at, received_at, payload
             FROM events WHERE position > $1 ORDER BY position LIMIT $2",
            &[&after, &limit],
        )
        .await?;
    rows.iter().map(event_from_row).collect()
}

pub async fn records_by_id<C: GenericClient>(client: &C, ids: &[Uuid]) -> Result<Vec<RecordState>> {
    let rows = client
        .query(
            "SELECT data FROM records WHERE record_id = ANY($1)",
            &[&ids],
        )
        .await?;
    rows.iter()
        .map(|row| Ok(serde_json::from_value(row.get::<_, serde_json::Value>(0))?))
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
        .map(|row| Ok(serde_json::from_value(row.get::<_, serde_json::Value>(0))?))
        .collect()
}

pub async fn list_incidents<C: GenericClient>(client: &C) -> Result<Vec<Incident>> {
    let rows = client
        .query(
            "SELECT incident_id, name, mode, created_at FROM incidents ORDER BY position",
            &[],
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
