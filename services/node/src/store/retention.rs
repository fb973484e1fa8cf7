//! Incidents with their retention end and purge, as the retention screen lists them
//! (issue 21 item 4, ADR 0019; the writer's side is `writer::retention`).

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::Result;

/// An incident, its retention end, whether it was purged and how many records it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRow {
    pub incident: Uuid,
    pub name: String,
    /// `actual` / `drill`.
    pub mode: String,
    pub created_at: DateTime<Utc>,
    pub until: Option<NaiveDate>,
    pub purged_at: Option<DateTime<Utc>>,
    pub records: i64,
}

/// Every incident of the node, newest first.
pub async fn rows<C: GenericClient>(client: &C) -> Result<Vec<RetentionRow>> {
    Ok(client
        .query(
            "SELECT i.incident_id, i.name, i.mode, i.created_at, i.retention_until, i.purged_at,
                    (SELECT count(*) FROM records r WHERE r.incident_id = i.incident_id)
             FROM incidents i ORDER BY i.created_at DESC, i.incident_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| RetentionRow {
            incident: r.get(0),
            name: r.get(1),
            mode: r.get(2),
            created_at: r.get(3),
            until: r.get(4),
            purged_at: r.get(5),
            records: r.get(6),
        })
        .collect())
}
