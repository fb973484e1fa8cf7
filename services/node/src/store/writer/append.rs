//! Appending events: positions, links, the time they are stamped with, and the one
//! INSERT that writes a batch of them (L-01, L-02, L-05).

use anpi_core::chain::{self, Link};
use anpi_core::event::{Event, NewEvent};
use chrono::{DateTime, SubsecRound, Utc};
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;
use uuid::Uuid;

use super::{Batch, Result};
use crate::store::chain::{Head, row_of};
use crate::store::seal::{self, DataKey};

/// An event given its position and link, with the payload text the link covers.
pub(super) struct Appended {
    pub event: Event,
    payload: String,
    link: Link,
    /// The key its personal fields were sealed under (ADR 0019).
    key: Option<DataKey>,
}

impl Appended {
    pub fn position(&self) -> i64 {
        self.event.position
    }

    pub fn payload(&self) -> &anpi_core::event::Payload {
        &self.event.event.payload
    }
}

/// An event's payload as the log will store it, sealed (ADR 0019): what
/// [`position_and_fold_sealed`] takes when the sealing was done beforehand, off the
/// writer's task (the intake seals each part on a blocking thread as it reads it).
pub(super) struct Sealed {
    text: String,
    key: Option<DataKey>,
}

/// Seals `new`'s payload (pure CPU work: may run on any thread).
pub(super) fn seal_new(new: &NewEvent) -> Sealed {
    let (text, key) = seal::stored_text(new.id.as_uuid(), &new.payload);
    Sealed { text, key }
}

/// Gives `new` the next position and its link, moves `head` on and folds the event
/// into `batch`.
pub(super) fn position_and_fold(head: &mut Head, new: NewEvent, batch: &mut Batch) -> Appended {
    let sealed = seal_new(&new);
    position_and_fold_sealed(head, new, sealed, batch)
}

/// [`position_and_fold`] with the payload sealed beforehand by [`seal_new`].
pub(super) fn position_and_fold_sealed(
    head: &mut Head,
    new: NewEvent,
    sealed: Sealed,
    batch: &mut Batch,
) -> Appended {
    let event = Event {
        position: head.position + 1,
        event: new,
    };
    let Sealed { text: payload, key } = sealed;
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
        key,
    }
}

/// Now, as PostgreSQL keeps it (microseconds), so the live projection holds exactly
/// what a rebuild will read back from the log.
pub(super) fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub(super) async fn insert_events<C: GenericClient>(tx: &C, events: &[Appended]) -> Result<()> {
    EventRows::of(events).insert(tx).await
}

/// The column arrays of a batch of events for the one `unnest` INSERT, built apart
/// from the sending (the writer builds them on a blocking thread while it decides the
/// next group: C-01, ADR 0016).
pub(super) struct EventRows {
    positions: Vec<i64>,
    ids: Vec<Uuid>,
    kinds: Vec<&'static str>,
    versions: Vec<i32>,
    incidents: Vec<Option<Uuid>>,
    records: Vec<Option<Uuid>>,
    origins: Vec<String>,
    actors: Vec<String>,
    written: Vec<Option<DateTime<Utc>>>,
    received: Vec<DateTime<Utc>>,
    payloads: Vec<String>,
    links: Vec<Vec<u8>>,
    sender_positions: Vec<Option<i64>>,
    sender_links: Vec<Option<Vec<u8>>>,
    /// `data_keys` rows of the sealed events: event, subject, incident, key.
    key_events: Vec<Uuid>,
    key_subjects: Vec<Option<Uuid>>,
    key_incidents: Vec<Option<Uuid>>,
    keys: Vec<Vec<u8>>,
}

impl EventRows {
    pub(super) fn of(events: &[Appended]) -> Self {
        let n = events.len();
        let mut rows = EventRows {
            positions: Vec::with_capacity(n),
            ids: Vec::with_capacity(n),
            kinds: Vec::with_capacity(n),
            versions: Vec::with_capacity(n),
            incidents: Vec::with_capacity(n),
            records: Vec::with_capacity(n),
            origins: Vec::with_capacity(n),
            actors: Vec::with_capacity(n),
            written: Vec::with_capacity(n),
            received: Vec::with_capacity(n),
            payloads: Vec::with_capacity(n),
            links: Vec::with_capacity(n),
            sender_positions: Vec::with_capacity(n),
            sender_links: Vec::with_capacity(n),
            key_events: Vec::new(),
            key_subjects: Vec::new(),
            key_incidents: Vec::new(),
            keys: Vec::new(),
        };
        for appended in events {
            let e = &appended.event.event;
            rows.positions.push(appended.event.position);
            rows.ids.push(e.id.as_uuid());
            rows.kinds.push(e.payload.kind());
            rows.versions.push(anpi_core::event::SCHEMA_VERSION);
            rows.incidents.push(e.incident.map(|i| i.as_uuid()));
            rows.records
                .push(e.payload.record_id().map(|r| r.as_uuid()));
            rows.origins.push(e.origin.as_str().to_string());
            rows.actors.push(e.actor.to_string());
            rows.written.push(e.written_at);
            rows.received.push(e.received_at);
            // The canonical text the link covers; PostgreSQL's jsonb prints it back as is.
            rows.payloads.push(appended.payload.clone());
            rows.links.push(appended.link.0.to_vec());
            rows.sender_positions.push(e.sender.map(|s| s.position));
            rows.sender_links
                .push(e.sender.as_ref().map(|s| s.link.0.to_vec()));
            if let Some(key) = appended.key {
                rows.key_events.push(e.id.as_uuid());
                rows.key_subjects.push(
                    e.payload
                        .record_id()
                        .map(|r| r.as_uuid())
                        .or_else(|| e.payload.inquiry_id().map(|i| i.as_uuid())),
                );
                rows.key_incidents.push(e.incident.map(|i| i.as_uuid()));
                rows.keys.push(key.to_vec());
            }
        }
        rows
    }

    pub(super) fn len(&self) -> usize {
        self.positions.len()
    }

    /// One round trip: the statement is sent with its parameter types, unnamed, and
    /// parsed, bound and run at once (issue 18: no separate prepare per group). The
    /// data keys of sealed events go in with them, in the same statement (ADR 0019).
    pub(super) async fn insert<C: GenericClient>(&self, tx: &C) -> Result<()> {
        tx.execute_typed(
            "WITH keys AS (
                 INSERT INTO data_keys (event_id, subject, incident_id, key)
                 SELECT * FROM unnest($15::uuid[], $16::uuid[], $17::uuid[], $18::bytea[])
             )
             INSERT INTO events (position, event_id, kind, schema_version, incident_id, record_id, origin, actor,
                                 written_at, received_at, payload, link, sender_position, sender_link)
             SELECT p, i, k, v, inc, rec, o, a, w, r, d::jsonb, l, sp, sl
             FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::uuid[], $6::uuid[],
                         $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::text[],
                         $12::bytea[], $13::bigint[], $14::bytea[])
                  AS u(p, i, k, v, inc, rec, o, a, w, r, d, l, sp, sl)",
            &[
                (&self.positions, Type::INT8_ARRAY),
                (&self.ids, Type::UUID_ARRAY),
                (&self.kinds, Type::TEXT_ARRAY),
                (&self.versions, Type::INT4_ARRAY),
                (&self.incidents, Type::UUID_ARRAY),
                (&self.records, Type::UUID_ARRAY),
                (&self.origins, Type::TEXT_ARRAY),
                (&self.actors, Type::TEXT_ARRAY),
                (&self.written, Type::TIMESTAMPTZ_ARRAY),
                (&self.received, Type::TIMESTAMPTZ_ARRAY),
                (&self.payloads, Type::TEXT_ARRAY),
                (&self.links, Type::BYTEA_ARRAY),
                (&self.sender_positions, Type::INT8_ARRAY),
                (&self.sender_links, Type::BYTEA_ARRAY),
                (&self.key_events, Type::UUID_ARRAY),
                (&self.key_subjects, Type::UUID_ARRAY),
                (&self.key_incidents, Type::UUID_ARRAY),
                (&self.keys, Type::BYTEA_ARRAY),
            ],
        )
        .await?;
        Ok(())
    }
}
