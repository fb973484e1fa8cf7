//! The single writer of a node's log: group commit, gap-free positions. R: L-01, L-02.
//!
//! One task owns the only connection that appends. Callers send commands through a
//! channel; the task takes every command waiting (up to `MAX_BATCH`), checks each
//! against the current state with the pure `decide_*` functions, gives the accepted
//! events consecutive positions, and commits events and projection in one transaction.
//! Because positions are assigned and committed by this task alone, in order, a reader
//! following `position` can never pass a position that a slower transaction fills in
//! later. A session-level advisory lock keeps a second process from writing the same
//! log. A caller is answered only after the commit: an acknowledged event is durable.

use std::collections::HashMap;
use std::time::Duration;

use anpi_core::entry::Entry;
use anpi_core::event::{Actor, Event, NewEvent, Payload, SCHEMA_VERSION};
use anpi_core::ids::{AccountId, EventId, IncidentId, RecordId};
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::private_area::{self, RecordState};
use anpi_core::validation::FieldError;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::projection::Batch;
use super::{Error, Result, reader};

const MAX_BATCH: usize = 512;
const LOCK_KEY: i64 = 7_263_002;

/// What a caller asks the log to do.
#[derive(Debug)]
pub enum Command {
    CreateIncident {
        name: String,
        mode: IncidentMode,
    },
    RecordEntry {
        incident: IncidentId,
        entry: Box<Entry>,
    },
    DeleteEntry {
        record: RecordId,
        reason: String,
    },
    RecordDeparture {
        record: RecordId,
        date: String,
        today: NaiveDate,
    },
    CreateAccount {
        account: AccountId,
        display_name: String,
        role: String,
        password_hash: String,
    },
}

/// What an accepted command produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    Incident {
        incident: Incident,
        position: i64,
    },
    Record {
        record: Box<RecordState>,
        incident: Option<Incident>,
        position: i64,
    },
    Account {
        position: i64,
    },
}

/// Why a command produced no event.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Rejection {
    #[error("{0}")]
    NotFound(FieldError),
    #[error("{0}")]
    Invalid(FieldError),
    #[error("{0}")]
    Conflict(FieldError),
    #[error("the log could not be written: {0}")]
    Unavailable(String),
}

struct Job {
    actor: Actor,
    command: Command,
    reply: oneshot::Sender<std::result::Result<Outcome, Rejection>>,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    sender: mpsc::Sender<Job>,
}

impl Writer {
    /// Connects, takes the writer lock, catches the projection up and starts the task.
    pub async fn start(
        database_url: &str,
        origin: JurisdictionCode,
    ) -> Result<(Writer, tokio::task::JoinHandle<()>)> {
        let mut client = super::connect(database_url).await?;
        let locked: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .await?
            .get(0);
        if !locked {
            return Err(Error::Identity(
                "another anpi-node process is already writing to this database".into(),
            ));
        }
        let folded = super::projection::catch_up(&mut client, |_, _| {}).await?;
        if folded > 0 {
            tracing::info!(folded, "private-area projection caught up");
        }
        let head = reader::head_position(&client).await?;
        let incidents = reader::list_incidents(&client)
            .await?
            .into_iter()
            .map(|incident| (incident.id, incident))
            .collect();
        let (sender, receiver) = mpsc::channel(4096);
        let task = WriterTask {
            client,
            database_url: database_url.to_string(),
            origin,
            head,
            incidents,
            receiver,
        };
        let handle = tokio::spawn(task.run());
        Ok((Writer { sender }, handle))
    }

    /// Submits a command and waits until its event is committed (or it is rejected).
    pub async fn submit(
        &self,
        actor: Actor,
        command: Command,
    ) -> std::result::Result<Outcome, Rejection> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Job {
                actor,
                command,
                reply,
            })
            .await
            .map_err(|_| Rejection::Unavailable("the event writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Rejection::Unavailable("the event writer has stopped".into()))?
    }
}

struct WriterTask {
    client: tokio_postgres::Client,
    database_url: String,
    origin: JurisdictionCode,
    head: i64,
    incidents: HashMap<IncidentId, Incident>,
    receiver: mpsc::Receiver<Job>,
}

/// An accepted job waiting for the commit.
struct Accepted {
    reply: oneshot::Sender<std::result::Result<Outcome, Rejection>>,
    position: i64,
    kind: AcceptedKind,
}

enum AcceptedKind {
    Incident(Incident),
    Record(RecordId),
    Account,
}

impl WriterTask {
    async fn run(mut self) {
        while let Some(first) = self.receiver.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match self.receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            if let Err(error) = self.process(jobs).await {
                tracing::error!(%error, "writing the event log failed; reconnecting");
                self.recover().await;
            }
        }
        tracing::info!("event writer stopped");
    }

    /// After a failed batch: reconnect if needed and reload the head and incidents.
    async fn recover(&mut self) {
        let mut delay = Duration::from_millis(200);
        loop {
            if self.client.is_closed() {
                match super::connect(&self.database_url).await {
                    Ok(client) => self.client = client,
                    Err(error) => {
                        tracing::warn!(%error, "reconnecting the event writer failed");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                        continue;
                    }
                }
                let locked = self
                    .client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
                    .await
                    .map(|row| row.get::<_, bool>(0));
                if !matches!(locked, Ok(true)) {
                    tracing::error!("cannot retake the writer lock; waiting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
            let reloaded = async {
                let head = reader::head_position(&self.client).await?;
                let incidents = reader::list_incidents(&self.client).await?;
                Ok::<_, Error>((head, incidents))
            }
            .await;
            match reloaded {
                Ok((head, incidents)) => {
                    self.head = head;
                    self.incidents = incidents.into_iter().map(|i| (i.id, i)).collect();
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, "reloading the writer state failed");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn process(&mut self, jobs: Vec<Job>) -> Result<()> {
        let tx = self.client.transaction().await?;
        let wanted: Vec<RecordId> =
            jobs.iter()
                .filter_map(|job| match &job.command {
                    Command::DeleteEntry { record, .. }
                    | Command::RecordDeparture { record, .. } => Some(*record),
                    _ => None,
                })
                .collect();
        let mut batch = Batch::default();
        batch.load(&tx, &wanted).await?;

        // PostgreSQL keeps microseconds: truncate here so the live projection holds
        // exactly what a rebuild will read back from the log.
        let now = Utc::now().trunc_subsecs(6);
        let mut head = self.head;
        let mut new_incidents: HashMap<IncidentId, Incident> = HashMap::new();
        let mut events: Vec<Event> = Vec::new();
        let mut accounts = Vec::new();
        let mut accepted = Vec::new();
        for job in jobs {
            let decided = decide(&job.command, &batch, now, |id| {
                self.incidents.contains_key(&id) || new_incidents.contains_key(&id)
            });
            let (payload, incident, written_at) = match decided {
                Ok(decided) => decided,
                Err(rejection) => {
                    let _ = job.reply.send(Err(rejection));
                    continue;
                }
            };
            head += 1;
            let kind = match &payload {
                Payload::IncidentCreated { incident } => {
                    new_incidents.insert(incident.id, incident.clone());
                    AcceptedKind::Incident(incident.clone())
                }
                Payload::AccountCreated { .. } => AcceptedKind::Account,
                other => AcceptedKind::Record(other.record_id().expect("record event")),
            };
            if let Command::CreateAccount {
                account,
                display_name,
                role,
                password_hash,
            } = job.command
            {
                accounts.push((account, display_name, role, password_hash));
            }
            let event = Event {
                position: head,
                event: NewEvent {
                    id: EventId::from_uuid(Uuid::now_v7()),
                    incident,
                    origin: self.origin.clone(),
                    actor: job.actor,
                    written_at,
                    received_at: now,
                    payload,
                },
            };
            batch.fold(&event);
            events.push(event);
            accepted.push(Accepted {
                reply: job.reply,
                position: head,
                kind,
            });
        }
        if events.is_empty() {
            tx.commit().await?;
            return Ok(());
        }

        let written = async {
            insert_events(&tx, &events).await?;
            for (account, display_name, role, hash) in &accounts {
                tx.execute(
                    "INSERT INTO accounts (account_id, display_name, role, password_hash) VALUES ($1, $2, $3, $4)",
                    &[&account.as_str(), display_name, role, hash],
                )
                .await?;
            }
            let states: HashMap<RecordId, RecordState> = batch.states.clone();
            batch.write(&tx).await?;
            tx.commit().await?;
            Ok::<_, Error>(states)
        }
        .await;
        match written {
            Ok(states) => {
                self.head = head;
                self.incidents.extend(new_incidents);
                for job in accepted {
                    let outcome = match job.kind {
                        AcceptedKind::Incident(incident) => Outcome::Incident {
                            incident,
                            position: job.position,
                        },
                        AcceptedKind::Account => Outcome::Account {
                            position: job.position,
                        },
                        AcceptedKind::Record(id) => {
                            let record = Box::new(states[&id].clone());
                            let incident = self.incidents.get(&record.incident).cloned();
                            Outcome::Record {
                                record,
                                incident,
                                position: job.position,
                            }
                        }
                    };
                    let _ = job.reply.send(Ok(outcome));
                }
                Ok(())
            }
            Err(error) => {
                for job in accepted {
                    let _ = job
                        .reply
                        .send(Err(Rejection::Unavailable(error.to_string())));
                }
                Err(error)
            }
        }
    }
}

type Decided = (Payload, Option<IncidentId>, Option<DateTime<Utc>>);

/// Checks one command against the state (pure rules from anpi-core).
fn decide(
    command: &Command,
    batch: &Batch,
    now: DateTime<Utc>,
    incident_exists: impl Fn(IncidentId) -> bool,
) -> std::result::Result<Decided, Rejection> {
    match command {
        Command::CreateIncident { name, mode } => {
            let incident = Incident {
                id: IncidentId::from_uuid(Uuid::now_v7()),
                name: name.clone(),
                mode: *mode,
                created_at: now,
            };
            let id = incident.id;
            Ok((Payload::IncidentCreated { incident }, Some(id), None))
        }
        Command::RecordEntry { incident, entry } => {
            if !incident_exists(*incident) {
                return Err(Rejection::NotFound(FieldError::new(
                    "incident_id",
                    "指定された事案が見つかりません。`anpi incident list` で事案IDを確認してください",
                )));
            }
            let record_id = RecordId::from_uuid(Uuid::now_v7());
            let written_at = entry.parsed.written_at;
            Ok((
                Payload::EntryRecorded {
                    record_id,
                    entry: entry.clone(),
                },
                Some(*incident),
                Some(written_at),
            ))
        }
        Command::DeleteEntry { record, reason } => {
            let state = batch.states.get(record);
            let reason = private_area::decide_delete(state, reason)
                .map_err(|e| classify(e, state.is_some()))?;
            let incident = state.map(|s| s.incident);
            Ok((
                Payload::EntryDeleted {
                    record_id: *record,
                    reason,
                },
                incident,
                None,
            ))
        }
        Command::RecordDeparture {
            record,
            date,
            today,
        } => {
            let state = batch.states.get(record);
            let date = private_area::decide_departure(state, date, *today)
                .map_err(|e| classify(e, state.is_some()))?;
            let incident = state.map(|s| s.incident);
            Ok((
                Payload::DepartureRecorded {
                    record_id: *record,
                    date,
                },
                incident,
                None,
            ))
        }
        Command::CreateAccount {
            account,
            display_name,
            role,
            ..
        } => Ok((
            Payload::AccountCreated {
                account: account.clone(),
                display_name: display_name.clone(),
                role: role.clone(),
            },
            None,
            None,
        )),
    }
}

fn classify(error: FieldError, exists: bool) -> Rejection {
    if !exists {
        Rejection::NotFound(error)
    } else if error.field == "record_id" {
        Rejection::Conflict(error)
    } else {
        Rejection::Invalid(error)
    }
}

async fn insert_events(tx: &tokio_postgres::Transaction<'_>, events: &[Event]) -> Result<()> {
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
        payloads.push(serde_json::to_value(&e.payload)?);
    }
    tx.execute(
        "INSERT INTO events (position, event_id, kind, schema_version, incident_id, record_id, origin, actor,
                             written_at, received_at, payload)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::uuid[], $6::uuid[],
                              $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::jsonb[])",
        &[&positions, &ids, &kinds, &versions, &incidents, &records, &origins, &actors, &written, &received, &payloads],
    )
    .await?;
    Ok(())
}
