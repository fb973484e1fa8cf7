//! One group of domain commands in one transaction (L-01, ADR 0001): load the state
//! the group touches, let the domain decide each command in turn
//! (`anpi_core::command::decide`), fold the accepted events as they go, remove
//! duplicates after each entry, commit, and answer every caller after the commit.

use std::collections::HashMap;

use anpi_core::command::{Command as DomainCommand, Decision, State, decide};
use anpi_core::event::{Event, Payload};
use anpi_core::ids::{IncidentId, InquiryId, RecordId};
use anpi_core::incident::Incident;
use anpi_core::inquiry::InquiryState;
use anpi_core::private_area::RecordState;
use anpi_core::report::IntakeScope;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::append::{now_micros, position_and_fold};
use super::dedup::Deduper;
use super::{
    Batch, Command, Error, IntakeState, Job, Outcome, Rejection, Result, ScopeState, WriterTask,
    system_actor,
};

/// An accepted job waiting for the commit.
struct Accepted {
    reply: oneshot::Sender<std::result::Result<Outcome, Rejection>>,
    position: i64,
    kind: AcceptedKind,
}

enum AcceptedKind {
    Incident(Incident),
    Record(RecordId),
    Inquiry(InquiryId),
    Account,
    Intake,
}

impl WriterTask {
    pub(super) async fn process(&mut self, jobs: Vec<Job>) -> Result<()> {
        let tx = self.client.transaction().await?;
        fn domain(job: &Job) -> Option<&DomainCommand> {
            match &job.command {
                Command::Domain(command) => Some(command),
                _ => None,
            }
        }
        let wanted: Vec<RecordId> = jobs
            .iter()
            .filter_map(domain)
            .flat_map(DomainCommand::records)
            .collect();
        let mut batch = Batch::default();
        batch.load(&tx, &wanted).await?;
        let inquiries: Vec<InquiryId> = jobs
            .iter()
            .filter_map(domain)
            .filter_map(DomainCommand::inquiry)
            .collect();
        batch.load_inquiries(&tx, &inquiries).await?;
        let entries = jobs
            .iter()
            .filter_map(domain)
            .filter_map(|command| match command {
                DomainCommand::RecordEntry {
                    incident, entry, ..
                } => Some((*incident, &**entry)),
                _ => None,
            });
        let mut deduper = Deduper::prepare(&tx, self.dedup_mode, &mut batch, entries).await?;

        let now = now_micros();
        let mut head = self.head;
        let mut intake = self.intake.borrow().clone();
        let mut new_incidents: HashMap<IncidentId, Incident> = HashMap::new();
        let mut events: Vec<Event> = Vec::new();
        let mut accepted = Vec::new();
        for job in jobs {
            let Command::Domain(command) = &job.command else {
                unreachable!("solo commands are not decided in a group")
            };
            let state = GroupState {
                batch: &batch,
                incidents: &self.incidents,
                new_incidents: &new_incidents,
                intake: &intake,
            };
            let decided = match decide(&state, command, now, &mut Uuid::now_v7) {
                Ok(Decision::Events(decided)) => decided,
                Ok(Decision::IntakeUnchanged) => {
                    let _ = job.reply.send(Ok(Outcome::Intake(intake.clone())));
                    continue;
                }
                Ok(Decision::IncidentHeld(incident)) => {
                    let _ = job.reply.send(Ok(Outcome::Incident {
                        incident,
                        position: 0,
                    }));
                    continue;
                }
                Err(refusal) => {
                    let _ = job.reply.send(Err(refusal.into()));
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
                kind = match &event.event.payload {
                    Payload::IncidentCreated { incident, .. } => {
                        new_incidents.insert(incident.id, incident.clone());
                        AcceptedKind::Incident(incident.clone())
                    }
                    Payload::IntakePaused { scope } | Payload::IntakeResumed { scope } => {
                        *intake.get_mut(*scope) = ScopeState {
                            paused: matches!(event.event.payload, Payload::IntakePaused { .. }),
                            changed_at: Some(now),
                            actor: Some(job.actor.to_string()),
                        };
                        AcceptedKind::Intake
                    }
                    other => match other.inquiry_id() {
                        Some(id) => AcceptedKind::Inquiry(id),
                        None => AcceptedKind::Record(other.record_id().expect("record event")),
                    },
                };
                events.push(event);
            }
            let position = head;
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
            accepted.push(Accepted {
                reply: job.reply,
                position,
                kind,
            });
        }
        if events.is_empty() {
            tx.commit().await?;
            return Ok(());
        }

        let written = async {
            let states: HashMap<RecordId, RecordState> = batch.states.clone();
            let inquiries: HashMap<InquiryId, InquiryState> = batch.inquiries.clone();
            Self::commit(tx, &events, batch).await?;
            Ok::<_, Error>((states, inquiries))
        }
        .await;
        match written {
            Ok((states, inquiries)) => {
                self.head = head;
                self.incidents.extend(new_incidents);
                self.intake.send_if_modified(|current| {
                    let changed = *current != intake;
                    *current = intake.clone();
                    changed
                });
                for job in accepted {
                    let outcome = match job.kind {
                        AcceptedKind::Incident(incident) => Outcome::Incident {
                            incident,
                            position: job.position,
                        },
                        AcceptedKind::Account => Outcome::Account {
                            position: job.position,
                        },
                        AcceptedKind::Intake => Outcome::Intake(intake.clone()),
                        AcceptedKind::Inquiry(id) => Outcome::Inquiry {
                            state: Box::new(inquiries[&id].clone()),
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

/// The state a group's commands are decided against: the records and inquiries loaded
/// for the group and folded as it goes, the incidents, and the intake pause.
struct GroupState<'a> {
    batch: &'a Batch,
    incidents: &'a HashMap<IncidentId, Incident>,
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
}
