//! Publication decisions (`schemas/postgres/0016_publication.sql`, X-02, X-04): the
//! decision standing for a record, its history from the log, and the ids of the
//! publication list.

use anpi_core::event::Payload;
use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::publication::PublicationDecision;
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{Result, reader};

/// A decision as the log holds it: what, when, by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub decision: PublicationDecision,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub position: i64,
}

/// Every decision about `record`, oldest first (the last one stands).
pub async fn history<C: GenericClient>(client: &C, record: RecordId) -> Result<Vec<Decided>> {
    let rows = client
        .query(
            &format!(
                "SELECT position, event_id, incident_id, origin, actor, written_at, received_at, payload, {}
                 FROM events WHERE record_id = $1 AND kind = 'PublicationDecided' ORDER BY position",
                super::seal::KEY_COLUMN
            ),
            &[&record.as_uuid()],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let event = reader::event_from_row(row)?;
        if let Payload::PublicationDecided { decision, .. } = event.event.payload {
            out.push(Decided {
                decision,
                at: event.event.received_at,
                actor: event.event.actor.to_string(),
                position: event.position,
            });
        }
    }
    Ok(out)
}

/// Whether the decision standing for `record` is to publish (`None`: no decision).
pub async fn decided<C: GenericClient>(client: &C, record: RecordId) -> Result<Option<bool>> {
    let row = client
        .query_opt(
            "SELECT publish FROM publication_decisions WHERE record_id = $1",
            &[&record.as_uuid()],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// The records of `incident` this body itself decided to publish, oldest decision
/// first; never a decision confirmed with another body.
pub async fn listed_ids<C: GenericClient>(client: &C, incident: IncidentId) -> Result<Vec<Uuid>> {
    let rows = client
        .query(
            "SELECT record_id FROM publication_decisions
             WHERE incident_id = $1 AND publish AND confirmed_body IS NULL
             ORDER BY decided_at, position",
            &[&incident.as_uuid()],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
