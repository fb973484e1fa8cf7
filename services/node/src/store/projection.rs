//! The private-area projection (records, incidents), the report and intake tables,
//! and their checkpoint. R: L-04, R-03, R-04.
//!
//! The live projection is written in the writer's transaction, right after the events
//! it folds; [`catch_up`] folds whatever lies between the checkpoint and the head (at
//! start-up, after a migration, or after [`rebuild`] reset it to 0). Both go through
//! [`Batch`], which folds with `anpi_core::private_area::apply`, so a rebuild cannot
//! differ from the live result.

use std::collections::{BTreeMap, HashMap};

use anpi_core::event::{Event, Payload};
use anpi_core::ids::RecordId;
use anpi_core::incident::Incident;
use anpi_core::private_area::{self, RecordState};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::Result;
use super::reader;

/// Name of this projection's checkpoint row.
pub const PRIVATE_AREA: &str = "private_area";

/// Events folded in memory, waiting to be written in one transaction.
#[derive(Default)]
pub struct Batch {
    /// Every record state the batch touched (loaded or created), by id.
    pub states: HashMap<RecordId, RecordState>,
    touched: BTreeMap<RecordId, ()>,
    incidents: Vec<(Incident, i64)>,
    /// Report and intake events, written in order after the records.
    bookkeeping: Vec<Event>,
    last_position: Option<i64>,
}

impl Batch {
    /// Loads the current states of `ids` that this batch does not hold yet.
    pub async fn load<C: GenericClient>(&mut self, client: &C, ids: &[RecordId]) -> Result<()> {
        let missing: Vec<Uuid> = ids
            .iter()
            .filter(|id| !self.states.contains_key(id))
            .map(|id| id.as_uuid())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        for state in reader::records_by_id(client, &missing).await? {
            self.states.insert(state.record_id, state);
        }
        Ok(())
    }

    /// Folds one event (its record state must have been loaded).
    pub fn fold(&mut self, event: &Event) {
        self.last_position = Some(event.position);
        match &event.event.payload {
            Payload::IncidentCreated { incident } => {
                self.incidents.push((incident.clone(), event.position))
            }
            Payload::ReportSent { .. }
            | Payload::ReportReceived { .. }
            | Payload::ReportAcknowledged { .. }
            | Payload::IntakePaused { .. }
            | Payload::IntakeResumed { .. } => self.bookkeeping.push(event.clone()),
            payload => {
                if let Some(id) = payload.record_id() {
                    let before = self.states.remove(&id);
                    if let Some(after) = private_area::apply(before, event) {
                        self.states.insert(id, after);
                        self.touched.insert(id, ());
                    }
                }
            }
        }
    }

    /// Writes the folded changes and the checkpoint.
    pub async fn write<C: GenericClient>(self, client: &C) -> Result<()> {
        let Some(position) = self.last_position else {
            return Ok(());
        };
        if !self.touched.is_empty() {
            let mut ids = Vec::new();
            let mut incidents = Vec::new();
            let mut labels = Vec::new();
            let mut recorded = Vec::new();
            let mut last = Vec::new();
            let mut data = Vec::new();
            for id in self.touched.keys() {
                let state = &self.states[id];
                ids.push(id.as_uuid());
                incidents.push(state.incident.as_uuid());
                labels.push(state.label().as_str().to_string());
                recorded.push(state.recorded_position);
                last.push(state.last_position);
                data.push(serde_json::to_value(state)?);
            }
            client
                .execute(
                    "INSERT INTO records (record_id, incident_id, state, recorded_position, last_position, data)
                     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[], $6::jsonb[])
                     ON CONFLICT (record_id) DO UPDATE
                       SET state = EXCLUDED.state, last_position = EXCLUDED.last_position, data = EXCLUDED.data",
                    &[&ids, &incidents, &labels, &recorded, &last, &data],
                )
                .await?;
        }
        for (incident, position) in &self.incidents {
            client
                .execute(
                    "INSERT INTO incidents (incident_id, name, mode, created_at, position)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id) DO NOTHING",
                    &[
                        &incident.id.as_uuid(),
                        &incident.name,
                        &incident.mode.as_str(),
                        &incident.created_at,
                        position,
                    ],
                )
                .await?;
        }
        for event in &self.bookkeeping {
            write_bookkeeping(client, event).await?;
        }
        set_checkpoint(client, PRIVATE_AREA, position).await
    }
}

/// Projects one report or intake event into its table.
async fn write_bookkeeping<C: GenericClient>(client: &C, event: &Event) -> Result<()> {
    let e = &event.event;
    let actor = e.actor.to_string();
    match &e.payload {
        Payload::ReportSent {
            report_id,
            seq,
            to,
            after_position,
            through_position,
            event_count,
        } => {
            client
                .execute(
                    "INSERT INTO reports_sent (report_id, seq, to_jurisdiction, after_position, through_position,
                                               event_count, created_at, actor, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (report_id) DO NOTHING",
                    &[
                        &report_id.as_uuid(),
                        seq,
                        &to.as_str(),
                        after_position,
                        through_position,
                        event_count,
                        &e.received_at,
                        &actor,
                        &event.position,
                    ],
                )
                .await?;
        }
        Payload::ReportAcknowledged {
            report_id,
            applied_at,
            appended,
            duplicates,
            ..
        } => {
            client
                .execute(
                    "UPDATE reports_sent SET acknowledged_at = $2, appended = $3, duplicates = $4,
                            published_at = COALESCE(published_at, $2)
                     WHERE report_id = $1",
                    &[&report_id.as_uuid(), applied_at, appended, duplicates],
                )
                .await?;
        }
        Payload::ReportReceived {
            report_id,
            from,
            log_id,
            seq,
            event_count,
            duplicates,
            parts,
            first_position,
            last_position,
            notices,
        } => {
            client
                .execute(
                    "INSERT INTO reports_received (report_id, from_jurisdiction, log_id, seq, event_count, duplicates,
                                                   parts, first_position, last_position, applied_at, position, notices)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (report_id) DO NOTHING",
                    &[
                        &report_id.as_uuid(),
                        &from.as_str(),
                        &log_id.as_uuid(),
                        seq,
                        event_count,
                        duplicates,
                        parts,
                        first_position,
                        last_position,
                        &e.received_at,
                        &event.position,
                        &serde_json::to_value(notices)?,
                    ],
                )
                .await?;
        }
        Payload::IntakePaused { scope } | Payload::IntakeResumed { scope } => {
            let paused = matches!(e.payload, Payload::IntakePaused { .. });
            client
                .execute(
                    "INSERT INTO intake_state (scope, paused, changed_at, actor, position)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (scope) DO UPDATE SET paused = EXCLUDED.paused,
                         changed_at = EXCLUDED.changed_at, actor = EXCLUDED.actor, position = EXCLUDED.position",
                    &[&scope.as_str(), &paused, &e.received_at, &actor, &event.position],
                )
                .await?;
        }
        _ => {}
    }
    Ok(())
}

pub async fn checkpoint<C: GenericClient>(client: &C, name: &str) -> Result<i64> {
    let row = client
        .query_opt(
            "SELECT position FROM projection_checkpoints WHERE name = $1",
            &[&name],
        )
        .await?;
    Ok(row.map(|r| r.get(0)).unwrap_or(0))
}

async fn set_checkpoint<C: GenericClient>(client: &C, name: &str, position: i64) -> Result<()> {
    client
        .execute(
            "INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
            &[&name, &position],
        )
        .await?;
    Ok(())
}

/// Folds every event after the checkpoint, a page per transaction. Returns the number
/// of events folded. `progress` is called after each page with (position, head).
pub async fn catch_up(
    client: &mut tokio_postgres::Client,
    mut progress: impl FnMut(i64, i64),
) -> Result<u64> {
    const PAGE: i64 = 5000;
    let head = reader::head_position(&*client).await?;
    let mut folded = 0u64;
    loop {
        let tx = client.transaction().await?;
        let from = checkpoint(&tx, PRIVATE_AREA).await?;
        let events = reader::read_events(&tx, from, PAGE).await?;
        if events.is_empty() {
            tx.commit().await?;
            return Ok(folded);
        }
        let mut batch = Batch::default();
        let ids: Vec<RecordId> = events
            .iter()
            .filter_map(|e| e.event.payload.record_id())
            .collect();
        batch.load(&tx, &ids).await?;
        for event in &events {
            batch.fold(event);
        }
        folded += events.len() as u64;
        let reached = events.last().map(|e| e.position).unwrap_or(from);
        batch.write(&tx).await?;
        tx.commit().await?;
        progress(reached, head);
    }
}

/// Throws the projection away and folds the whole log again from position 0.
pub async fn rebuild(
    client: &mut tokio_postgres::Client,
    progress: impl FnMut(i64, i64),
) -> Result<u64> {
    {
        let tx = client.transaction().await?;
        tx.batch_execute(
            "DELETE FROM records; DELETE FROM incidents; DELETE FROM reports_sent;
             DELETE FROM reports_received; DELETE FROM intake_state;",
        )
        .await?;
        set_checkpoint(&tx, PRIVATE_AREA, 0).await?;
        tx.commit().await?;
    }
    catch_up(client, progress).await
}
