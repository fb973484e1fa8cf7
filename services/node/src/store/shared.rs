//! The shared dataset (共用領域) in PostgreSQL: the national node's published versions
//! and the delta each one carries, and every node's replica. R: P-02, S-03, T-05, L-04.
//!
//! - National: `shared_versions` (a projection of DatasetPublished) lists the versions;
//!   [`Delta`] reads one version's records as they stood at its `through_position`,
//!   in one repeatable-read snapshot: records last changed inside the version's range
//!   are read as they are; records changed again since are folded from their events up
//!   to the position (`anpi_core::shared::state_as_of`).
//! - Every node: the replica in the schema `shared`. Parts are staged as they arrive;
//!   [`apply_next`] applies the next version only when all its parts are staged, in one
//!   transaction, so a search sees a whole version or the one before.
//!
//! Which version may be applied and when a version is complete are rules of
//! `anpi_core::shared` and `anpi_core::report::parts_complete`.

use std::collections::{BTreeMap, HashMap, HashSet};

use anpi_core::ids::{IncidentId, LogId, RecordId};
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::private_area::RecordState;
use anpi_core::report::parts_complete;
use anpi_core::shared::{self, Version};
use anpi_proto::v1;
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{Error, Result, projection, reader};
use crate::wire;

pub use super::replica::{REPLICA_INCIDENTS, REPLICA_RECORDS};

fn version_from_row(row: &tokio_postgres::Row) -> Version {
    Version {
        version: row.get("version"),
        through_position: row.get("through_position"),
        record_count: row.get("record_count"),
        changed_count: row.get("changed_count"),
    }
}

/// The last version published by this (national) node.
pub async fn latest_published<C: GenericClient>(client: &C) -> Result<Option<Version>> {
    Ok(client
        .query_opt(
            "SELECT version, through_position, record_count, changed_count FROM shared_versions
             ORDER BY version DESC LIMIT 1",
            &[],
        )
        .await?
        .as_ref()
        .map(version_from_row))
}

/// A published version as the national node lists it.
#[derive(Debug, Clone)]
pub struct Published {
    pub version: Version,
    pub previous_through: i64,
    pub published_at: DateTime<Utc>,
    pub actor: String,
    pub parts: Option<i32>,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_records: i64,
}

/// Published versions, oldest first; only those not yet wholly sent when `unsent`.
pub async fn published<C: GenericClient>(client: &C, unsent: bool) -> Result<Vec<Published>> {
    let rows = client
        .query(
            "SELECT v.version, v.through_position, v.record_count, v.changed_count, v.published_at,
                    v.actor, v.parts, v.sent_at, v.sent_records,
                    COALESCE((SELECT p.through_position FROM shared_versions p
                              WHERE p.version = v.version - 1), 0) AS previous_through
             FROM shared_versions v WHERE NOT $1 OR v.sent_at IS NULL ORDER BY v.version",
            &[&unsent],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Published {
            version: version_from_row(row),
            previous_through: row.get("previous_through"),
            published_at: row.get("published_at"),
            actor: row.get("actor"),
            parts: row.get("parts"),
            sent_at: row.get("sent_at"),
            sent_records: row.get("sent_records"),
        })
        .collect())
}

/// The publisher's progress on `version` (records handed to JetStream so far).
pub async fn set_progress<C: GenericClient>(client: &C, version: i64, sent: i64) -> Result<()> {
    client
        .execute(
            "UPDATE shared_versions SET sent_records = $2 WHERE version = $1",
            &[&version, &sent],
        )
        .await?;
    Ok(())
}

/// Every part of `version` is stored by JetStream.
pub async fn mark_sent<C: GenericClient>(
    client: &C,
    version: i64,
    parts: i32,
    sent: i64,
) -> Result<()> {
    client
        .execute(
            "UPDATE shared_versions SET parts = $2, sent_records = $3, sent_at = now() WHERE version = $1",
            &[&version, &parts, &sent],
        )
        .await?;
    Ok(())
}

/// Reads one version's delta, page by page, inside the caller's repeatable-read
/// transaction (one snapshot for the whole version).
pub struct Delta {
    previous_through: i64,
    through: i64,
    /// Last position read by the next page (pages go by ranges of last change).
    cursor: i64,
    refolded: bool,
}

/// Positions of last change covered per page.
const DELTA_SPAN: i64 = 5000;
/// Records changed after the version, folded back per query.
const REFOLD_BATCH: i64 = 1000;

impl Delta {
    pub fn new(previous_through: i64, through: i64) -> Delta {
        Delta {
            previous_through,
            through,
            cursor: previous_through,
            refolded: false,
        }
    }

    /// The incidents created within the version's range.
    pub async fn incidents<C: GenericClient>(&self, client: &C) -> Result<Vec<Incident>> {
        reader::incidents_where(client, "incidents", self.previous_through, self.through).await
    }

    /// The next page of records as JSON (the stored `data`), or `None` at the end.
    pub async fn next_page<C: GenericClient>(&mut self, client: &C) -> Result<Option<Vec<String>>> {
        if self.cursor < self.through {
            let until = self.through.min(self.cursor + DELTA_SPAN);
            let rows = client
                .query(
                    "SELECT data::text FROM records WHERE last_position > $1 AND last_position <= $2
                     ORDER BY last_position",
                    &[&self.cursor, &until],
                )
                .await?;
            self.cursor = until;
            return Ok(Some(rows.iter().map(|r| r.get(0)).collect()));
        }
        if self.refolded {
            return Ok(None);
        }
        self.refolded = true;
        Ok(Some(self.changed_since(client).await?))
    }

    /// Records that existed at `through` but changed after it: folded from their
    /// events up to `through`; those unchanged within the version are left out.
    async fn changed_since<C: GenericClient>(&self, client: &C) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut after = Uuid::nil();
        loop {
            let ids: Vec<Uuid> = client
                .query(
                    "SELECT record_id FROM records
                     WHERE last_position > $1 AND recorded_position <= $1 AND record_id > $2
                     ORDER BY record_id LIMIT $3",
                    &[&self.through, &after, &REFOLD_BATCH],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let Some(last) = ids.last() else {
                return Ok(out);
            };
            after = *last;
            let rows = client
                .query(
                    &format!(
                        "SELECT position, event_id, incident_id, origin, actor, written_at, received_at, payload, {}
                         FROM events WHERE record_id = ANY($1) AND position <= $2 ORDER BY position",
                        super::seal::KEY_COLUMN
                    ),
                    &[&ids, &self.through],
                )
                .await?;
            let mut by_record: BTreeMap<Uuid, Vec<anpi_core::event::Event>> = BTreeMap::new();
            for row in &rows {
                let event = reader::event_from_row(row)?;
                if let Some(id) = event.event.payload.record_id() {
                    by_record.entry(id.as_uuid()).or_default().push(event);
                }
            }
            for events in by_record.values() {
                if let Some(state) = shared::state_as_of(events, self.through)
                    && shared::in_delta(&state, self.previous_through)
                {
                    out.push(serde_json::to_string(&state)?);
                }
            }
        }
    }
}

/// The version this node's replica holds.
#[derive(Debug, Clone)]
pub struct ReplicaVersion {
    pub version: Version,
    pub log_id: LogId,
    pub parts: i32,
    pub published_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// The latest version applied to this node's replica.
pub async fn replica_version<C: GenericClient>(client: &C) -> Result<Option<ReplicaVersion>> {
    Ok(client
        .query_opt(
            "SELECT version, log_id, through_position, record_count, changed_count, parts,
                    published_at, received_at
             FROM shared.versions ORDER BY version DESC LIMIT 1",
            &[],
        )
        .await?
        .map(|row| ReplicaVersion {
            version: version_from_row(&row),
            log_id: LogId::from_uuid(row.get("log_id")),
            parts: row.get("parts"),
            published_at: row.get("published_at"),
            received_at: row.get("received_at"),
        }))
}

/// Records held by the replica, and parts staged for versions not yet whole.
pub async fn replica_counts<C: GenericClient>(client: &C) -> Result<(i64, i64)> {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM shared.records), (SELECT count(*) FROM shared.parts)",
            &[],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// Records with an event in the log after `through` (a version's `through_position`):
/// what the next publication would look at.
pub async fn records_changed_since<C: GenericClient>(client: &C, through: i64) -> Result<i64> {
    let row = client
        .query_one(
            "SELECT count(DISTINCT record_id) FROM events
             WHERE position > $1 AND record_id IS NOT NULL",
            &[&through],
        )
        .await?;
    Ok(row.get(0))
}

/// The header of a staged part (the body stays encoded until its version applies).
#[derive(Debug, Clone)]
pub struct PartHeader {
    pub log_id: LogId,
    pub version: i64,
    pub attempt: Uuid,
    pub part: i32,
    pub last: bool,
}

/// Stages one part (idempotent: a part delivered twice is kept once).
pub async fn stage_part<C: GenericClient>(
    client: &C,
    header: &PartHeader,
    body: &[u8],
) -> Result<()> {
    client
        .execute(
            "INSERT INTO shared.parts (version, attempt, part, last, log_id, body)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (version, attempt, part) DO NOTHING",
            &[
                &header.version,
                &header.attempt,
                &header.part,
                &header.last,
                &header.log_id.as_uuid(),
                &body,
            ],
        )
        .await?;
    Ok(())
}

/// A version applied to the replica.
#[derive(Debug, Clone)]
pub struct AppliedVersion {
    pub version: Version,
    pub parts: i32,
    pub records_held: i64,
}

/// Applies the next version if all its parts are staged, whole, in one transaction.
/// `None` when the next version is not complete yet.
pub async fn apply_next(client: &mut tokio_postgres::Client) -> Result<Option<AppliedVersion>> {
    let tx = client.transaction().await?;
    let current = replica_version(&tx).await?;
    let next = shared::next_version(current.as_ref().map(|v| v.version.version));
    tx.execute("DELETE FROM shared.parts WHERE version < $1", &[&next])
        .await?;
    let mut attempts: BTreeMap<Uuid, Vec<(i32, bool)>> = BTreeMap::new();
    for row in tx
        .query(
            "SELECT attempt, part, last FROM shared.parts WHERE version = $1",
            &[&next],
        )
        .await?
    {
        attempts
            .entry(row.get(0))
            .or_default()
            .push((row.get(1), row.get(2)));
    }
    let complete = attempts
        .iter()
        .find_map(|(attempt, parts)| parts_complete(parts).map(|count| (*attempt, count)));
    let Some((attempt, part_count)) = complete else {
        tx.commit().await?;
        return Ok(None);
    };
    // Issue 21: the records of an incident this node purged are not taken back from a
    // version published before the national tier purged it too.
    let purged: HashSet<IncidentId> = tx
        .query(
            "SELECT incident_id FROM incidents WHERE purged_at IS NOT NULL",
            &[],
        )
        .await?
        .iter()
        .map(|r| IncidentId::from_uuid(r.get(0)))
        .collect();
    let mut header: Option<v1::SharedPart> = None;
    for part in 0..part_count {
        let body: Vec<u8> = tx
            .query_one(
                "SELECT body FROM shared.parts WHERE version = $1 AND attempt = $2 AND part = $3",
                &[&next, &attempt, &part],
            )
            .await?
            .get(0);
        let mut decoded: v1::SharedPart = wire::decode(&body).map_err(Error::Report)?;
        let mut states: HashMap<RecordId, RecordState> = HashMap::new();
        for json in &decoded.records_json {
            let state: RecordState = serde_json::from_str(json)?;
            if !purged.contains(&state.incident) {
                states.insert(state.record_id, state);
            }
        }
        if !states.is_empty() {
            projection::upsert_records(&tx, REPLICA_RECORDS, &states).await?;
        }
        for incident in &decoded.incidents {
            let incident = incident_from_proto(incident).map_err(Error::Report)?;
            tx.execute(
                &format!(
                    "INSERT INTO {REPLICA_INCIDENTS} (incident_id, name, mode, created_at, position)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id) DO NOTHING"
                ),
                &[
                    &incident.id.as_uuid(),
                    &incident.name,
                    &incident.mode.as_str(),
                    &incident.created_at,
                    &decoded.through_position,
                ],
            )
            .await?;
        }
        decoded.records_json.clear();
        decoded.incidents.clear();
        header.get_or_insert(decoded);
    }
    let header = header.expect("a complete version has a part 0");
    let version = Version {
        version: header.version,
        through_position: header.through_position,
        record_count: header.record_count,
        changed_count: header.changed_count,
    };
    let log_id: Uuid = header
        .log_id
        .parse()
        .map_err(|_| Error::Report(format!("log_id: `{}` is not a UUID", header.log_id)))?;
    let published_at =
        wire::parse_time("published_at", &header.published_at).map_err(Error::Report)?;
    tx.execute(
        "INSERT INTO shared.versions (version, log_id, through_position, record_count, changed_count,
                                      parts, published_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now())",
        &[
            &version.version,
            &log_id,
            &version.through_position,
            &version.record_count,
            &version.changed_count,
            &part_count,
            &published_at,
        ],
    )
    .await?;
    tx.execute("DELETE FROM shared.parts WHERE version <= $1", &[&next])
        .await?;
    let records_held: i64 = tx
        .query_one(&format!("SELECT count(*) FROM {REPLICA_RECORDS}"), &[])
        .await?
        .get(0);
    tx.commit().await?;
    Ok(Some(AppliedVersion {
        version,
        parts: part_count,
        records_held,
    }))
}

fn incident_from_proto(incident: &v1::Incident) -> std::result::Result<Incident, String> {
    Ok(Incident {
        id: IncidentId::from_uuid(
            incident
                .id
                .parse()
                .map_err(|_| format!("incident id `{}` is not a UUID", incident.id))?,
        ),
        name: incident.name.clone(),
        mode: IncidentMode::parse(&incident.mode)
            .ok_or_else(|| format!("incident mode `{}` is unknown", incident.mode))?,
        created_at: wire::parse_time("created_at", &incident.created_at)?,
    })
}
