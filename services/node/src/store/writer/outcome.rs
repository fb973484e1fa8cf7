//! What the writer answers. [`Outcome`] is what any command produced; a caller that
//! knows its command asks for the typed reply of it ([`Writer::ask`] with a [`Reply`]
//! type: [`RecordWritten`], [`IncidentWritten`], [`InquiryWritten`], [`Published`],
//! [`IntakeState`], `Option<SentSummary>` …), so no front door matches a catch-all
//! outcome (issue 14).

use anpi_core::event::Actor;
use anpi_core::incident::Incident;
use anpi_core::inquiry::InquiryState;
use anpi_core::private_area::RecordState;
use anpi_core::refusal::Refusal;
use anpi_core::validation::FieldError;
use chrono::{DateTime, Utc};

use super::{AppliedReport, Command, IntakeState, SentSummary, Writer};

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
    Intake(IntakeState),
    /// `None`: nothing was waiting to be reported (no report made).
    Reported(Option<SentSummary>),
    /// `None`: no complete report was waiting to be applied.
    Applied(Option<AppliedReport>),
    Acknowledged {
        new: bool,
    },
    /// A new version of the shared dataset (P-02).
    Published {
        version: anpi_core::shared::Version,
        published_at: DateTime<Utc>,
        position: i64,
    },
    /// Nothing to publish (no records yet, or none changed): the reason, for the user.
    NotPublished(String),
    /// An inquiry after the command's event (Q-01..Q-06).
    Inquiry {
        state: Box<InquiryState>,
        position: i64,
    },
    /// A roll-call command (K-01..K-09).
    Rollcall(Box<super::RollcallWritten>),
    /// A publication decision recorded.
    Publication {
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
    /// The node's own intake is paused.
    #[error("{0}")]
    Paused(String),
    /// The command does not apply to this node or its state.
    #[error("{0}")]
    Precondition(String),
    #[error("the log could not be written: {0}")]
    Unavailable(String),
}

/// The domain's typed refusal, kind for kind (never classified by its text).
impl From<Refusal> for Rejection {
    fn from(refusal: Refusal) -> Rejection {
        match refusal {
            Refusal::NotFound(error) => Rejection::NotFound(error),
            Refusal::Conflict(error) => Rejection::Conflict(error),
            Refusal::Invalid(error) => Rejection::Invalid(error),
            Refusal::Paused(error) => Rejection::Paused(error.message),
        }
    }
}

/// A record after the command's events (entry, deletion, departure, merge).
#[derive(Debug, Clone)]
pub struct RecordWritten {
    pub record: Box<RecordState>,
    /// The record's incident, if this node holds it.
    pub incident: Option<Incident>,
    pub position: i64,
}

/// An incident, created now or already held (then `position` is 0).
#[derive(Debug, Clone)]
pub struct IncidentWritten {
    pub incident: Incident,
    pub position: i64,
}

/// An inquiry after the command's event (Q-01..Q-06).
#[derive(Debug, Clone)]
pub struct InquiryWritten {
    pub state: Box<InquiryState>,
    pub position: i64,
}

/// What `Command::Publish` did (P-02).
#[derive(Debug, Clone)]
pub enum Published {
    Version {
        version: anpi_core::shared::Version,
        published_at: DateTime<Utc>,
        position: i64,
    },
    /// Nothing to publish: the reason, for the user.
    Nothing(String),
}

/// The typed reply of a command: which outcome it is.
pub trait Reply: Sized {
    /// The reply, or the outcome back when it is another kind.
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome>;
}

impl Reply for Outcome {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        Ok(outcome)
    }
}

impl Reply for RecordWritten {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Record {
                record,
                incident,
                position,
            } => Ok(RecordWritten {
                record,
                incident,
                position,
            }),
            other => Err(other),
        }
    }
}

impl Reply for IncidentWritten {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Incident { incident, position } => Ok(IncidentWritten { incident, position }),
            other => Err(other),
        }
    }
}

impl Reply for InquiryWritten {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Inquiry { state, position } => Ok(InquiryWritten { state, position }),
            other => Err(other),
        }
    }
}

impl Reply for Published {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Published {
                version,
                published_at,
                position,
            } => Ok(Published::Version {
                version,
                published_at,
                position,
            }),
            Outcome::NotPublished(reason) => Ok(Published::Nothing(reason)),
            other => Err(other),
        }
    }
}

impl Reply for IntakeState {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Intake(intake) => Ok(intake),
            other => Err(other),
        }
    }
}

/// `SendReport`: the report made, or `None` when nothing was waiting.
impl Reply for Option<SentSummary> {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Reported(summary) => Ok(summary),
            other => Err(other),
        }
    }
}

/// `ApplyStaged`: the report applied, or `None` when none was complete.
impl Reply for Option<AppliedReport> {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Applied(applied) => Ok(applied),
            other => Err(other),
        }
    }
}

/// An account or trust change: the position of its event.
#[derive(Debug, Clone, Copy)]
pub struct AccountWritten {
    pub position: i64,
}

impl Reply for AccountWritten {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Account { position } => Ok(AccountWritten { position }),
            other => Err(other),
        }
    }
}

/// A publication decision recorded at `position`.
#[derive(Debug, Clone)]
pub struct PublicationWritten {
    pub position: i64,
}

impl Reply for PublicationWritten {
    fn from_outcome(outcome: Outcome) -> Result<Self, Outcome> {
        match outcome {
            Outcome::Publication { position } => Ok(PublicationWritten { position }),
            other => Err(other),
        }
    }
}

impl Writer {
    /// Queues `command` without waiting for its reply: the writer takes queued
    /// commands in as few groups (transactions) as it can (the bulk path of imports,
    /// C-01). [`Queued::reply`] waits for the typed reply.
    pub async fn queue<R: Reply>(&self, actor: Actor, command: impl Into<Command>) -> Queued<R> {
        Queued {
            answer: self.send(actor, command.into()).await,
            reply: std::marker::PhantomData,
        }
    }

    /// Submits `command` and waits for its typed reply. An outcome of another kind
    /// would be a fault of the writer: logged, and answered as "not written".
    pub async fn ask<R: Reply>(
        &self,
        actor: Actor,
        command: impl Into<Command>,
    ) -> Result<R, Rejection> {
        typed(self.submit(actor, command).await?)
    }
}

/// A command queued with [`Writer::queue`].
pub struct Queued<R> {
    answer: Result<tokio::sync::oneshot::Receiver<super::Answer>, Rejection>,
    reply: std::marker::PhantomData<R>,
}

impl<R: Reply> Queued<R> {
    /// Waits until the command is committed (or refused).
    pub async fn reply(self) -> Result<R, Rejection> {
        let outcome = self.answer?.await.unwrap_or_else(|_| Err(stopped()))?;
        typed(outcome)
    }
}

/// The writer's task has ended.
pub(super) fn stopped() -> Rejection {
    Rejection::Unavailable("the event writer has stopped".into())
}

/// The typed reply of an outcome; another kind of outcome is a fault of the writer.
fn typed<R: Reply>(outcome: Outcome) -> Result<R, Rejection> {
    R::from_outcome(outcome).map_err(|other| {
        tracing::error!(
            ?other,
            reply = std::any::type_name::<R>(),
            "the writer answered another kind of outcome"
        );
        Rejection::Unavailable(format!(
            "the writer answered another kind of outcome than {}",
            std::any::type_name::<R>()
        ))
    })
}
