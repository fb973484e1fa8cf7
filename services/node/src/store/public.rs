//! The public page's lookup in the shared replica. R: X-01, T-04, T-06.

use anpi_core::private_area::RecordState;
use chrono::NaiveDate;
use tokio_postgres::GenericClient;

use super::Result;
use super::shared::{REPLICA_INCIDENTS, REPLICA_RECORDS};

/// Reads from the replica (`shared.records` joined with `shared.incidents`) the
/// records that are not deleted, of actual incidents only, whose name key is
/// `name_key` (and birth date `birth_date`, when given), at most 1000, each with its
/// incident's mode as stored (X-01; T-04, T-06).
pub async fn held_candidates<C: GenericClient>(
    client: &C,
    name_key: &str,
    birth_date: Option<NaiveDate>,
) -> Result<Vec<(RecordState, String)>> {
    let rows = client
        .query(
            &format!(
                "SELECT r.data, i.mode FROM {} r JOIN {} i ON i.incident_id = r.incident_id
                  WHERE r.name_key = $1 AND ($2::date IS NULL OR r.birth_date = $2)
                    AND r.state <> 'deleted' AND i.mode = 'actual' LIMIT 1000",
                REPLICA_RECORDS, REPLICA_INCIDENTS,
            ),
            &[&name_key, &birth_date],
        )
        .await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        found.push((crate::store::decoded(row, 0)?, row.get(1)));
    }
    Ok(found)
}
