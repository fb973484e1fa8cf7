//! Appending events: positions, the time they are stamped with, and the one INSERT
//! that writes a batch of them (L-01, L-02).

use anpi_core::event::{Event, NewEvent, SCHEMA_VERSION};
use chrono::{DateTime, SubsecRound, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{Batch, Result};

/// Gives `new` the next position and folds it into `batch`.
pub(super) fn position_and_fold(head: &mut i64, new: NewEvent, batch: &mut Batch) -> Event {
    *head += 1;
    let event = Event {
        position: *head,
        event: new,
    };
    batch.fold(&event);
    event
}

/// Now, as PostgreSQL keeps it (microseconds), so the live projection holds exactly
/// what a rebuild will read back from the log.
pub(super) fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub(super) async fn insert_events<C: GenericClient>(tx: &C, events: &[Event]) -> Result<()> {
    let mut positions = Vec::with_capacity(events.len());
    let mut ids = Vec::with_capacity(events.len());
    let mut kinds = Vec::with_capacity(events.len());
    let mut versions = Vec::with_capacity(events.len());
    let mut incidents: Vec<Option<Uuid>> = Vec::with_capacity(events.len());
    let mut records: Vec<Option<Uuid>> = Vec::with_capacity(events.len());
    let mut origins = Vec::with_capacity(events.len());
    let mut actors = Vec::with_capacity(events.len());
    let mut written = Vec::with_capacity(events.len());
    let mut received = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    for event in events {
        let e = &event.event;
        positions.push(event.position);
        ids.push(e.id.as_uuid());
        kinds.push(e.payload.kind().to_string());
        versions.push(SCHEMA_VERSION);
        incidents.push(e.incident.map(|i| i.as_uuid()));
        records.push(e.payload.record_id().map(|r| r.as_uuid()));
        origins.push(e.origin.to_string());
        actors.push(e.actor.to_string());
        written.push(e.written_at);
        received.push(e.received_at);
        // Text, cast by PostgreSQL: no `Value` tree is built and dropped per event.
        payloads.push(serde_json::to_string(&e.payload)?);
    }
    tx.execute(
        "INSERT INTO events (position, event_id, kind, schema_version, incident_id, record_id, origin, actor,
                             written_at, received_at, payload)
         SELECT p, i, k, v, inc, rec, o, a, w, r, d::jsonb
         FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::uuid[], $6::uuid[],
                     $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::text[])
              AS u(p, i, k, v, inc, rec, o, a, w, r, d)",
        &[&positions, &ids, &kinds, &versions, &incidents, &records, &origins, &actors, &written, &received, &payloads],
    )
    .await?;
    Ok(())
}
