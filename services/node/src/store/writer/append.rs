//! Appending events: positions, links, the time they are stamped with, and the one
//! INSERT that writes a batch of them (L-01, L-02, L-05).

use anpi_core::chain::{self, Link};
use anpi_core::event::{Event, NewEvent};
use chrono::{DateTime, SubsecRound, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{Batch, Result};
use crate::store::chain::{Head, row_of};

/// An event given its position and link, with the payload text the link covers.
pub(super) struct Appended {
    pub event: Event,
    payload: String,
    link: Link,
}

impl Appended {
    pub fn position(&self) -> i64 {
        self.event.position
    }

    pub fn payload(&self) -> &anpi_core::event::Payload {
        &self.event.event.payload
    }
}

/// Gives `new` the next position and its link, moves `head` on and folds the event
/// into `batch`.
pub(super) fn position_and_fold(head: &mut Head, new: NewEvent, batch: &mut Batch) -> Appended {
    let event = Event {
        position: head.position + 1,
        event: new,
    };
    let payload = crate::store::chain::payload_text(&event.event.payload);
    let actor = event.event.actor.to_string();
    let link = chain::link(&head.link, &row_of(&event, &actor, &payload));
    *head = Head {
        position: event.position,
        link,
    };
    batch.fold(&event);
    Appended {
        event,
        payload,
        link,
    }
}

/// Now, as PostgreSQL keeps it (microseconds), so the live projection holds exactly
/// what a rebuild will read back from the log.
pub(super) fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub(super) async fn insert_events<C: GenericClient>(tx: &C, events: &[Appended]) -> Result<()> {
    let n = events.len();
    let mut positions = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    let mut versions = Vec::with_capacity(n);
    let mut incidents: Vec<Option<Uuid>> = Vec::with_capacity(n);
    let mut records: Vec<Option<Uuid>> = Vec::with_capacity(n);
    let mut origins = Vec::with_capacity(n);
    let mut actors = Vec::with_capacity(n);
    let mut written = Vec::with_capacity(n);
    let mut received = Vec::with_capacity(n);
    let mut payloads: Vec<&str> = Vec::with_capacity(n);
    let mut links: Vec<&[u8]> = Vec::with_capacity(n);
    let mut sender_positions: Vec<Option<i64>> = Vec::with_capacity(n);
    let mut sender_links: Vec<Option<&[u8]>> = Vec::with_capacity(n);
    for appended in events {
        let e = &appended.event.event;
        positions.push(appended.event.position);
        ids.push(e.id.as_uuid());
        kinds.push(e.payload.kind());
        versions.push(anpi_core::event::SCHEMA_VERSION);
        incidents.push(e.incident.map(|i| i.as_uuid()));
        records.push(e.payload.record_id().map(|r| r.as_uuid()));
        origins.push(e.origin.as_str());
        actors.push(e.actor.to_string());
        written.push(e.written_at);
        received.push(e.received_at);
        // The canonical text the link covers; PostgreSQL's jsonb prints it back as is.
        payloads.push(&appended.payload);
        links.push(&appended.link.0);
        sender_positions.push(e.sender.map(|s| s.position));
        sender_links.push(e.sender.as_ref().map(|s| &s.link.0[..]));
    }
    tx.execute(
        "INSERT INTO events (position, event_id, kind, schema_version, incident_id, record_id, origin, actor,
                             written_at, received_at, payload, link, sender_position, sender_link)
         SELECT p, i, k, v, inc, rec, o, a, w, r, d::jsonb, l, sp, sl
         FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::uuid[], $6::uuid[],
                     $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::text[],
                     $12::bytea[], $13::bigint[], $14::bytea[])
              AS u(p, i, k, v, inc, rec, o, a, w, r, d, l, sp, sl)",
        &[
            &positions, &ids, &kinds, &versions, &incidents, &records, &origins, &actors, &written,
            &received, &payloads, &links, &sender_positions, &sender_links,
        ],
    )
    .await?;
    Ok(())
}
