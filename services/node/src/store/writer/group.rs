//! One group of domain commands in one transaction (L-01, ADR 0001): load the state
//! the group touches, let the domain decide each command in turn
//! (`anpi_core::command::decide`), fold the accepted events as they go, remove
//! duplicates after each entry, commit, and answer every caller after the commit.
//!
//! Groups are pipelined (C-01, ADR 0016): while group N is written and committed on
//! the writer's connection, group N+1 is loaded (on a second, read-only connection,
//! which sees everything up to group N-1) and decided against what group N left in
//! memory (`Decided`: its record and inquiry states, head, incidents and intake).
//! Group N+1 is written only after group N committed; if group N fails, group N+1 is
//! thrown away unanswered and its jobs go back to the front of the queue.

use std::collections::HashMap;

use anpi_core::command::{Command as DomainCommand, Decision, State, decide};
use anpi_core::event::Payload;
use anpi_core::ids::{IncidentId, InquiryId, RecordId};
use anpi_core::incident::Incident;
use anpi_core::inquiry::InquiryState;
use anpi_core::private_area::RecordState;
use anpi_core::report::IntakeScope;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::append::{Appended, EventRows, now_micros, position_and_fold};
use super::dedup::Deduper;
use super::{
    Answer, Batch, Command, Error, IntakeState, Job, Outcome, Rejection, Result, ScopeState,
    WriterTask, system_actor,
};
use crate::store::chain::Head;
use crate::store::joined;
use crate::store::projection::Encoded;

/// How many commands are decided between two yields, so that the RPC handlers sharing
/// this worker thread get their turn while a large group is decided.
const DECIDE_SLICE: usize = 32;

/// A group decided in memory, not yet written.
pub(super) struct Prepared {
    encoding: Encoding,
    decided: Decided,
}

/// A group's rows being encoded (canonical keys, search columns, JSON) on a blocking
/// thread: started as soon as the group is decided, so that the encoding overlaps the
/// writing of the group before (C-01, ADR 0016).
pub(super) struct Encoding {
    events: usize,
    rows: tokio::task::JoinHandle<Result<(EventRows, Encoded)>>,
}

impl Encoding {
    fn start(events: Vec<Appended>, batch: Batch) -> Self {
        Encoding {
            events: events.len(),
            rows: tokio::task::spawn_blocking(move || {
                let projection = batch.encode()?;
                Ok((EventRows::of(&events), projection))
            }),
        }
    }
}

/// What a decided group changes once committed, and what its callers are answered.
pub(super) struct Decided {
    jobs: Vec<(Job, Pending)>,
    states: HashMap<RecordId, RecordState>,
    inquiries: HashMap<InquiryId, InquiryState>,
    head: Head,
    /// Incidents created by this group and the groups before it not yet committed.
    new_incidents: HashMap<IncidentId, Incident>,
    intake: IntakeState,
    /// The group purged the private area: the next group must not be loaded before it
    /// is committed (the stored records it would read are going).
    purged: bool,
}

/// A job's answer, sent after the commit.
enum Pending {
    /// Refused, or answered without an event.
    Now(Answer),
    Accepted {
        position: i64,
        kind: AcceptedKind,
    },
}

enum AcceptedKind {
    Incident(Incident),
    Record(RecordId),
    Inquiry(InquiryId),
    Account,
    Intake,
    Publication,
}

/// A group that could not be loaded: the error and its jobs, unanswered.
pub(super) type NotPrepared = (Error, Vec<Job>);

impl Prepared {
    pub(super) fn must_commit_alone(&self) -> bool {
        self.decided.purged
    }

    /// The jobs, unanswered (the group before failed: they are decided again).
    pub(super) fn into_jobs(self) -> Vec<Job> {
        self.decided.jobs.into_iter().map(|(job, _)| job).collect()
    }
}

fn domain(job: &Job) -> Option<&DomainCommand> {
    match &job.command {
        Command::Domain(command) => Some(command),
        _ => None,
    }
}

impl WriterTask {
    /// Loads what `jobs` touch (from `previous` where it holds it, else from the
    /// read connection) and decides them in memory.
    pub(super) async fn prepare(
        &self,
        jobs: Vec<Job>,
        previous: Option<&Decided>,
    ) -> std::result::Result<Prepared, NotPrepared> {
        let mut batch = Batch::default();
        if let Err(error) = self.load(&jobs, previous, &mut batch).await {
            return Err((error, jobs));
        }
        let entries = jobs
            .iter()
            .filter_map(domain)
            .filter_map(|command| match command {
                DomainCommand::RecordEntry {
                    incident, entry, ..
                } => Some((*incident, &**entry)),
                _ => None,
            });
        let overlay = previous.map(|p| &p.states);
        let deduper =
            Deduper::prepare(&self.reader, self.dedup_mode, &mut batch, overlay, entries).await;
        let mut deduper = match deduper {
            Ok(deduper) => deduper,
            Err(error) => return Err((error, jobs)),
        };

        let now = now_micros();
        let mut head = previous.map_or(self.head, |p| p.head);
        let mut intake =
            previous.map_or_else(|| self.intake.borrow().clone(), |p| p.intake.clone());
        let mut new_incidents = previous
            .map(|p| p.new_incidents.clone())
            .unwrap_or_default();
        let mut events: Vec<Appended> = Vec::new();
        let mut decided_jobs = Vec::with_capacity(jobs.len());
        for (n, job) in jobs.into_iter().enumerate() {
            if n % DECIDE_SLICE == DECIDE_SLICE - 1 {
                tokio::task::yield_now().await;
            }
            let Command::Domain(command) = &job.command else {
                unreachable!("solo commands are not decided in a group")
            };
            let state = GroupState {
                batch: &batch,
                incidents: &self.incidents,
                purged: &self.purged,
                new_incidents: &new_incidents,
                intake: &intake,
            };
            let decided = match decide(&state, command, now, &mut Uuid::now_v7) {
                Ok(Decision::Events(decided)) => decided,
                Ok(Decision::IntakeUnchanged) => {
                    let answer = Ok(Outcome::Intake(intake.clone()));
                    decided_jobs.push((job, Pending::Now(answer)));
                    continue;
                }
                Ok(Decision::IncidentHeld(incident)) => {
                    let answer = Ok(Outcome::Incident {
                        incident,
                        position: 0,
                    });
                    decided_jobs.push((job, Pending::Now(answer)));
                    continue;
                }
                Err(refusal) => {
                    decided_jobs.push((job, Pending::Now(Err(refusal.into()))));
                    continue;
                }
            };
            let mut kind = AcceptedKind::Account;
            for one in decided {
                let event = position_and_fold(
                    &mut head,
                    Self::new_event(
                        &self.origin,
                        job.actor.clone(),
                        now,
                        (one.payload, one.incident, one.written_at),
                    ),
                    &mut batch,
                );
                kind = match event.payload() {
                    Payload::IncidentCreated { incident, .. } => {
                        new_incidents.insert(incident.id, incident.clone());
                        AcceptedKind::Incident(incident.clone())
                    }
                    Payload::IntakePaused { scope } | Payload::IntakeResumed { scope } => {
                        *intake.get_mut(*scope) = ScopeState {
                            paused: matches!(event.payload(), Payload::IntakePaused { .. }),
                            changed_at: Some(now),
                            actor: Some(job.actor.to_string()),
                        };
                        AcceptedKind::Intake
                    }
                    Payload::PublicationDecided { .. } => AcceptedKind::Publication,
                    other => match other.inquiry_id() {
                        Some(id) => AcceptedKind::Inquiry(id),
                        None => AcceptedKind::Record(other.record_id().expect("record event")),
                    },
                };
                events.push(event);
            }
            let position = head.position;
            if let AcceptedKind::Record(id) = &kind
                && matches!(
                    job.command,
                    Command::Domain(DomainCommand::RecordEntry { .. })
                )
            {
                let incident = batch.states.get(id).map(|s| s.incident);
                for payload in deduper.after_recorded(&batch, *id) {
                    let actor = system_actor(&self.origin);
                    let decided = (payload, incident, None);
                    let event = position_and_fold(
                        &mut head,
                        Self::new_event(&self.origin, actor, now, decided),
                        &mut batch,
                    );
                    events.push(event);
                }
            }
            decided_jobs.push((job, Pending::Accepted { position, kind }));
        }
        let decided = Decided {
            jobs: decided_jobs,
            states: batch.states.clone(),
            inquiries: batch.inquiries.clone(),
            head,
            new_incidents,
            intake,
            purged: batch.purged(),
        };
        Ok(Prepared {
            encoding: Encoding::start(events, batch),
            decided,
        })
    }

    /// The records and inquiries `jobs` name: first from the group before (not yet
    /// committed, so not readable), then from the read connection.
    async fn load(
        &self,
        jobs: &[Job],
        previous: Option<&Decided>,
        batch: &mut Batch,
    ) -> Result<()> {
        let wanted: Vec<RecordId> = jobs
            .iter()
            .filter_map(domain)
            .flat_map(DomainCommand::records)
            .collect();
        let inquiries: Vec<InquiryId> = jobs
            .iter()
            .filter_map(domain)
            .filter_map(DomainCommand::inquiry)
            .collect();
        if let Some(previous) = previous {
            batch.take_over(&previous.states, &previous.inquiries, &wanted, &inquiries);
        }
        batch.load(&self.reader, &wanted).await?;
        batch.load_inquiries(&self.reader, &inquiries).await
    }

    /// Writes a prepared group's events and projection and commits, on the writer's
    /// connection (BEGIN … COMMIT without a guard: `recover` rolls back a failure).
    pub(super) async fn write_group<C: GenericClient>(
        client: &C,
        encoding: Encoding,
    ) -> Result<()> {
        if encoding.events == 0 {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let (began, encoded) = tokio::join!(client.batch_execute("BEGIN"), encoding.rows);
        began?;
        let (rows, projection) = joined(encoded)?;
        // Both statements are sent at once (the connection pipelines them).
        tokio::try_join!(rows.insert(client), projection.write(client))?;
        client.batch_execute("COMMIT").await?;
        crate::metrics::METRICS.committed(rows.len(), started.elapsed());
        Ok(())
    }

    /// Splits a prepared group into what is written and what follows the commit.
    pub(super) fn split(prepared: Prepared) -> (Encoding, Decided) {
        (prepared.encoding, prepared.decided)
    }

    /// After the commit: the head, incidents and intake move on, and every caller is
    /// answered.
    pub(super) fn finish(&mut self, decided: Decided) {
        self.head = decided.head;
        self.incidents.extend(decided.new_incidents);
        let intake = decided.intake;
        self.intake.send_if_modified(|current| {
            let changed = *current != intake;
            *current = intake.clone();
            changed
        });
        for (job, pending) in decided.jobs {
            let answer = match pending {
                Pending::Now(answer) => answer,
                Pending::Accepted { position, kind } => Ok(match kind {
                    AcceptedKind::Incident(incident) => Outcome::Incident { incident, position },
                    AcceptedKind::Account => Outcome::Account { position },
                    AcceptedKind::Intake => Outcome::Intake(intake.clone()),
                    AcceptedKind::Publication => Outcome::Publication { position },
                    AcceptedKind::Inquiry(id) => Outcome::Inquiry {
                        state: Box::new(decided.inquiries[&id].clone()),
                        position,
                    },
                    AcceptedKind::Record(id) => {
                        let record = Box::new(decided.states[&id].clone());
                        let incident = self.incidents.get(&record.incident).cloned();
                        Outcome::Record {
                            record,
                            incident,
                            position,
                        }
                    }
                }),
            };
            let _ = job.reply.send(answer);
        }
    }

    /// The group's commit failed: refusals stand, accepted jobs are not written.
    pub(super) fn fail(decided: Decided, error: &Error) {
        for (job, pending) in decided.jobs {
            let answer = match pending {
                Pending::Now(answer) => answer,
                Pending::Accepted { .. } => Err(Rejection::Unavailable(error.to_string())),
            };
            let _ = job.reply.send(answer);
        }
    }
}

/// The state a group's commands are decided against: the records and inquiries loaded
/// for the group and folded as it goes, the incidents, and the intake pause.
struct GroupState<'a> {
    batch: &'a Batch,
    incidents: &'a HashMap<IncidentId, Incident>,
    purged: &'a std::collections::HashSet<IncidentId>,
    new_incidents: &'a HashMap<IncidentId, Incident>,
    intake: &'a IntakeState,
}

impl State for GroupState<'_> {
    fn record(&self, id: RecordId) -> Option<&RecordState> {
        self.batch.states.get(&id)
    }

    fn inquiry(&self, id: InquiryId) -> Option<&InquiryState> {
        self.batch.inquiries.get(&id)
    }

    fn incident(&self, id: IncidentId) -> Option<&Incident> {
        self.incidents
            .get(&id)
            .or_else(|| self.new_incidents.get(&id))
    }

    fn paused(&self, scope: IntakeScope) -> bool {
        self.intake.get(scope).paused
    }

    fn purged(&self, id: IncidentId) -> bool {
        self.purged.contains(&id)
    }
}
