//! The single writer of a node's log: group commit, gap-free positions. R: L-01, L-02,
//! R-01..R-03.
//!
//! One task owns the only connection that appends. Callers send commands through a
//! channel; the task takes every command waiting (up to `MAX_BATCH`), checks each
//! against the current state with the pure `decide_*` functions, gives the accepted
//! events consecutive positions, and commits events and projection in one transaction.
//! Because positions are assigned and committed by this task alone, in order, a reader
//! following `position` can never pass a position that a slower transaction fills in
//! later. A session-level advisory lock keeps a second process from writing the same
//! log. A caller is answered only after the commit: an acknowledged event is durable.
//!
//! Reports (`reports.rs`) go through the same task, each in a transaction of its own:
//! "report" records the range it covers (the outbox), and a subordinate's report is
//! appended whole or not at all.

mod accounts;
mod append;
mod dedup;
mod group;
mod jma;
mod outcome;
mod reports;
mod retention;
mod rollcall;
mod rollcall_contacts;
mod rollcall_info;
mod shared;
mod trust;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use anpi_core::command::Command as DomainCommand;
use anpi_core::dedup::DedupMode;
use anpi_core::event::{Actor, NewEvent, Payload};
use anpi_core::ids::{EventId, IncidentId, LogId, ReportId};
use anpi_core::incident::Incident;
use anpi_core::jurisdiction::JurisdictionCode;
use chrono::{DateTime, Utc};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use uuid::Uuid;

pub use self::accounts::AccountChange;
use self::append::{
    Appended, Sealed, insert_events, now_micros, position_and_fold, position_and_fold_sealed,
    seal_new,
};
pub use self::jma::{CancelOrder, DispatchKey, Dispatching, JmaTelegram, NewDispatch};
pub use self::outcome::{
    AccountWritten, IncidentWritten, InquiryWritten, Outcome, PublicationWritten, Published,
    Queued, RecordWritten, Rejection, Reply,
};
pub use self::reports::{AppliedReport, Receipt, SentSummary, system_actor};
pub use self::retention::RetentionChange;
pub use self::rollcall::{Answerer, Broadcast, RollcallChange, RollcallWritten};
pub use self::rollcall_contacts::{ContactLink, ContactMails};
pub use self::trust::TrustChange;
use super::chain::Head;
pub use super::intake::{IntakeState, ScopeState};
use super::projection::Batch;
use super::{Error, Result, joined, reader};

const MAX_BATCH: usize = 512;
const LOCK_KEY: i64 = 7_263_002;
/// How long a starting writer waits for the lock of a process that just ended.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// What a caller asks the log to do: a command the domain decides
/// (`anpi_core::command`, decided in groups), or one of the writer's own, each in a
/// transaction of its own.
#[derive(Debug)]
pub enum Command {
    /// Entries, deletions, departures, merges, incidents, intake, inquiries.
    Domain(DomainCommand),
    /// issue, withdraw, set a password, unlock, recover.
    Account(AccountChange),
    /// signing keys, refused parts, revocation orders.
    Trust(TrustChange),
    /// K-01..K-09: roll-call directory, settings, broadcasts, answers.
    Rollcall(RollcallChange),
    /// Issue 21: an incident's retention end, and its purge.
    Retention(RetentionChange),
    /// record a report of every not-yet-reported event (the outbox entry).
    SendReport,
    /// Apply the next staged report of a subordinate's log, if it is complete.
    ApplyStaged {
        from: JurisdictionCode,
        log_id: LogId,
    },
    /// The parent applied one of our reports.
    AcknowledgeReport { receipt: Receipt },
    /// P-02: publish the national read model as the next shared-dataset version.
    Publish,
}

impl From<DomainCommand> for Command {
    fn from(command: DomainCommand) -> Command {
        Command::Domain(command)
    }
}

impl Command {
    /// Commands that run in a transaction of their own.
    fn is_solo(&self) -> bool {
        !matches!(self, Command::Domain(_))
    }
}

/// What a job is answered.
type Answer = std::result::Result<Outcome, Rejection>;

struct Job {
    actor: Actor,
    command: Command,
    reply: oneshot::Sender<Answer>,
}

/// Settings of the writer that come from the node's configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriterOptions {
    /// How automatic duplicate removal compares the 4 information (D-03).
    pub dedup_mode: DedupMode,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    sender: mpsc::Sender<Job>,
    intake: watch::Receiver<IntakeState>,
    reports_ready: Arc<Notify>,
    shared_ready: Arc<Notify>,
    mail_ready: Arc<Notify>,
}

impl Writer {
    /// Connects, takes the writer lock, catches the projection up and starts the task.
    /// The parent is the jurisdiction's natural parent (T-03).
    pub async fn start(
        database_url: &str,
        origin: JurisdictionCode,
    ) -> Result<(Writer, tokio::task::JoinHandle<()>)> {
        Self::start_with(database_url, origin, WriterOptions::default()).await
    }

    /// [`Writer::start`] with explicit options.
    pub async fn start_with(
        database_url: &str,
        origin: JurisdictionCode,
        options: WriterOptions,
    ) -> Result<(Writer, tokio::task::JoinHandle<()>)> {
        let mut client = super::connect(database_url).await?;
        let reader = super::connect(database_url).await?;
        // A process that just ended (`anpi-node init`, a killed node) may hold the lock
        // until PostgreSQL has noticed its connection closed: wait a little for it.
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            let locked: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
                .await?
                .get(0);
            if locked {
                break;
            }
            if std::time::Instant::now() >= deadline {
                return Err(Error::Identity(
                    "another anpi-node process is already writing to this database".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let folded = super::projection::catch_up(&mut client, |_, _| {}).await?;
        if folded > 0 {
            tracing::info!(folded, "projections caught up");
        }
        let linked = super::chain::link_unlinked(&mut client).await?;
        if linked > 0 {
            tracing::info!(
                linked,
                "events written before the hash chain were linked (L-05)"
            );
        }
        // A purge whose rewrite a crash interrupted is finished first (ADR 0019).
        retention::rewrite_purged(&client).await?;
        let purged = retention::purged_incidents(&client).await?;
        let head = super::chain::head(&client).await?;
        let incidents = reader::list_incidents(&client)
            .await?
            .into_iter()
            .map(|incident| (incident.id, incident))
            .collect();
        let (intake_sender, intake) = watch::channel(reader::intake_state(&client).await?);
        let reports_ready = Arc::new(Notify::new());
        let shared_ready = Arc::new(Notify::new());
        let mail_ready = Arc::new(Notify::new());
        let (sender, receiver) = mpsc::channel(4096);
        let task = WriterTask {
            client: Arc::new(client),
            reader,
            database_url: database_url.to_string(),
            parent: origin.natural_parent(),
            origin,
            head,
            incidents,
            purged,
            receiver,
            intake: intake_sender,
            reports_ready: reports_ready.clone(),
            shared_ready: shared_ready.clone(),
            mail_ready: mail_ready.clone(),
            dedup_mode: options.dedup_mode,
        };
        let handle = tokio::spawn(task.run());
        Ok((
            Writer {
                sender,
                intake,
                reports_ready,
                shared_ready,
                mail_ready,
            },
            handle,
        ))
    }

    /// Submits a command and waits until its event is committed (or it is rejected).
    pub async fn submit(
        &self,
        actor: Actor,
        command: impl Into<Command>,
    ) -> std::result::Result<Outcome, Rejection> {
        let answer = self.send(actor, command.into()).await?;
        answer.await.map_err(|_| outcome::stopped())?
    }

    /// Queues a command; the receiver gets its outcome after the commit.
    async fn send(
        &self,
        actor: Actor,
        command: Command,
    ) -> std::result::Result<oneshot::Receiver<Answer>, Rejection> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Job {
                actor,
                command,
                reply,
            })
            .await
            .map_err(|_| outcome::stopped())?;
        Ok(answer)
    }

    /// The committed intake state; changes are announced on the receiver.
    pub fn intake(&self) -> watch::Receiver<IntakeState> {
        self.intake.clone()
    }

    /// Notified after a report is recorded (wakes the relay that publishes it).
    pub fn reports_ready(&self) -> Arc<Notify> {
        self.reports_ready.clone()
    }

    /// Notified after a shared-dataset version is published (wakes its publisher).
    pub fn shared_ready(&self) -> Arc<Notify> {
        self.shared_ready.clone()
    }

    /// Notified after mails were queued (wakes the mailer, K-01).
    pub fn mail_ready(&self) -> Arc<Notify> {
        self.mail_ready.clone()
    }
}

struct WriterTask {
    client: Arc<tokio_postgres::Client>,
    /// Reads the committed state for the group being prepared while the one before is
    /// written on `client` (group.rs).
    reader: tokio_postgres::Client,
    database_url: String,
    origin: JurisdictionCode,
    parent: Option<JurisdictionCode>,
    head: Head,
    incidents: HashMap<IncidentId, Incident>,
    /// Incidents whose personal data was purged (issue 21): nothing new about them.
    purged: HashSet<IncidentId>,
    receiver: mpsc::Receiver<Job>,
    intake: watch::Sender<IntakeState>,
    reports_ready: Arc<Notify>,
    shared_ready: Arc<Notify>,
    mail_ready: Arc<Notify>,
    dedup_mode: DedupMode,
}

impl WriterTask {
    async fn run(mut self) {
        let mut queue: VecDeque<Job> = VecDeque::new();
        // A group decided but not yet written: it is written while the next is
        // prepared (group.rs).
        let mut pending: Option<group::Prepared> = None;
        loop {
            while queue.len() < MAX_BATCH {
                match self.receiver.try_recv() {
                    Ok(job) => queue.push_back(job),
                    Err(_) => break,
                }
            }
            if queue.is_empty() {
                if let Some(prepared) = pending.take() {
                    // Nothing waiting to overlap with: write it now.
                    self.write_alone(prepared).await;
                    continue;
                }
                match self.receiver.recv().await {
                    Some(job) => queue.push_back(job),
                    None => break,
                }
                continue;
            }
            if queue.front().is_some_and(|job| job.command.is_solo()) {
                if let Some(prepared) = pending.take() {
                    self.write_alone(prepared).await;
                }
                let job = queue.pop_front().expect("a job");
                if let Err(error) = self.process_solo(job).await {
                    tracing::error!(%error, "writing the event log failed; reconnecting");
                    self.recover().await;
                }
                continue;
            }
            let mut group = Vec::new();
            while group.len() < MAX_BATCH && queue.front().is_some_and(|job| !job.command.is_solo())
            {
                group.push(queue.pop_front().expect("a job"));
            }
            if let Some(prepared) = pending.take_if(|p| p.must_commit_alone()) {
                self.write_alone(prepared).await;
            }
            let next = match pending.take() {
                None => self.prepare(group, None).await,
                Some(prepared) => {
                    let (encoding, decided) = Self::split(prepared);
                    // The group is written on a task of its own, so that its
                    // statements go out while this task decides the next group.
                    let client = self.client.clone();
                    let writing = tokio::spawn(async move {
                        let client = client;
                        let written = Self::write_group(&*client, encoding).await;
                        drop(client);
                        written
                    });
                    let (written, next) =
                        tokio::join!(writing, self.prepare(group, Some(&decided)));
                    let written = joined(written);
                    if let Err(error) = written {
                        Self::fail(decided, &error);
                        let jobs = match next {
                            Ok(next) => next.into_jobs(),
                            Err((_, jobs)) => jobs,
                        };
                        for job in jobs.into_iter().rev() {
                            queue.push_front(job);
                        }
                        tracing::error!(%error, "writing the event log failed; reconnecting");
                        self.recover().await;
                        continue;
                    }
                    self.finish(decided);
                    next
                }
            };
            match next {
                Ok(next) => pending = Some(next),
                Err((error, jobs)) => {
                    for job in jobs.into_iter().rev() {
                        queue.push_front(job);
                    }
                    tracing::error!(%error, "reading for the event log failed; reconnecting");
                    self.recover().await;
                }
            }
        }
        if let Some(prepared) = pending.take() {
            self.write_alone(prepared).await;
        }
        tracing::info!("event writer stopped");
    }

    /// Writes a prepared group with nothing alongside, and answers its callers.
    async fn write_alone(&mut self, prepared: group::Prepared) {
        let (encoding, decided) = Self::split(prepared);
        match Self::write_group(&*self.client, encoding).await {
            Ok(()) => self.finish(decided),
            Err(error) => {
                Self::fail(decided, &error);
                tracing::error!(%error, "writing the event log failed; reconnecting");
                self.recover().await;
            }
        }
    }

    /// After a failed transaction: reconnect if needed and reload the head and incidents.
    async fn recover(&mut self) {
        let mut delay = Duration::from_millis(200);
        if !self.client.is_closed() {
            // A group is written without a Transaction guard: end what it began.
            let _ = self.client.batch_execute("ROLLBACK").await;
        }
        loop {
            if !reopen(&self.database_url, &mut self.reader, "the writer's reader").await {
                backoff(&mut delay).await;
                continue;
            }
            if self.client.is_closed() {
                if !reopen(
                    &self.database_url,
                    exclusive(&mut self.client),
                    "the event writer",
                )
                .await
                {
                    backoff(&mut delay).await;
                    continue;
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
                let head = super::chain::head(&*self.client).await?;
                let incidents = reader::list_incidents(&*self.client).await?;
                let purged = retention::purged_incidents(&*self.client).await?;
                Ok::<_, Error>((head, incidents, purged))
            }
            .await;
            match reloaded {
                Ok((head, incidents, purged)) => {
                    self.head = head;
                    self.purged = purged;
                    self.incidents = incidents.into_iter().map(|i| (i.id, i)).collect();
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, "reloading the writer state failed");
                    backoff(&mut delay).await;
                }
            }
        }
    }

    fn new_event(
        origin: &JurisdictionCode,
        actor: Actor,
        now: DateTime<Utc>,
        decided: (Payload, Option<IncidentId>, Option<DateTime<Utc>>),
    ) -> NewEvent {
        let (payload, incident, written_at) = decided;
        NewEvent {
            id: EventId::from_uuid(Uuid::now_v7()),
            incident,
            origin: origin.clone(),
            actor,
            written_at,
            received_at: now,
            sender: None,
            payload,
        }
    }

    /// Inserts `events`, writes the folded projection and commits.
    async fn commit(
        tx: tokio_postgres::Transaction<'_>,
        events: &[Appended],
        batch: Batch,
    ) -> Result<()> {
        // Both statements are sent at once (the connection pipelines them): the
        // projection's rows are encoded while PostgreSQL inserts the events.
        let started = std::time::Instant::now();
        tokio::try_join!(insert_events(&tx, events), batch.write(&tx))?;
        tx.commit().await?;
        crate::metrics::METRICS.committed(events.len(), started.elapsed());
        Ok(())
    }

    /// Appends one event of this node (no incident, no 記入日時) in `tx` and commits;
    /// `head` moves only once the commit succeeded. Returns the event's position.
    async fn commit_one(
        tx: tokio_postgres::Transaction<'_>,
        head: &mut Head,
        origin: &JurisdictionCode,
        actor: Actor,
        now: DateTime<Utc>,
        payload: Payload,
    ) -> Result<i64> {
        let mut next = *head;
        let mut batch = Batch::default();
        let event = position_and_fold(
            &mut next,
            Self::new_event(origin, actor, now, (payload, None, None)),
            &mut batch,
        );
        Self::commit(tx, &[event], batch).await?;
        *head = next;
        Ok(next.position)
    }

    async fn process_solo(&mut self, job: Job) -> Result<()> {
        let result = match job.command {
            Command::SendReport => self.send_report(job.actor).await,
            Command::ApplyStaged { from, log_id } => self.apply_staged(from, log_id).await,
            Command::AcknowledgeReport { receipt } => self.acknowledge(job.actor, receipt).await,
            Command::Publish => self.publish(job.actor).await,
            Command::Account(change) => self.change_account(job.actor, change).await,
            Command::Trust(change) => self.change_trust(job.actor, change).await,
            Command::Rollcall(change) => self.change_rollcall(job.actor, change).await,
            Command::Retention(change) => self.change_retention(job.actor, change).await,
            _ => unreachable!("only solo commands"),
        };
        match result {
            Ok(outcome) => {
                let _ = job.reply.send(outcome);
                Ok(())
            }
            Err(error) => {
                let _ = job
                    .reply
                    .send(Err(Rejection::Unavailable(error.to_string())));
                Err(error)
            }
        }
    }
}

/// The writer's connection for a transaction of its own: no group is being written on
/// it then (a group's write task ends before anything else runs).
fn exclusive(client: &mut Arc<tokio_postgres::Client>) -> &mut tokio_postgres::Client {
    Arc::get_mut(client).expect("no group is being written")
}

/// Reconnects `client` if its connection has closed; false if that failed (logged).
async fn reopen(url: &str, client: &mut tokio_postgres::Client, what: &str) -> bool {
    if !client.is_closed() {
        return true;
    }
    match super::connect(url).await {
        Ok(new) => {
            *client = new;
            true
        }
        Err(error) => {
            tracing::warn!(%error, "reconnecting {what} failed");
            false
        }
    }
}

/// Waits `delay`, then doubles it up to 5 s.
async fn backoff(delay: &mut Duration) {
    tokio::time::sleep(*delay).await;
    *delay = (*delay * 2).min(Duration::from_secs(5));
}

/// A report ID made now (UUID v7: reports sort by creation).
fn new_report_id() -> ReportId {
    ReportId::from_uuid(Uuid::now_v7())
}
