//! Why the domain refuses a command, typed (issue 14: no adapter classifies a refusal by
//! its text). Each kind carries the field error shown to the clerk, in Japanese; the
//! node maps the kind, never the words, to its answer (gRPC NOT_FOUND,
//! FAILED_PRECONDITION, INVALID_ARGUMENT).

use std::ops::Deref;

use crate::validation::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// What the command names does not exist here (an ID).
    NotFound(FieldError),
    /// What it names exists, but its state does not allow the command (already
    /// answered, already deleted, of another incident …).
    Conflict(FieldError),
    /// The command's own input is wrong.
    Invalid(FieldError),
    /// The node's own intake is paused: a clear refusal, not a silent drop.
    Paused(FieldError),
}

impl Refusal {
    /// The field error the clerk is shown.
    pub fn error(&self) -> &FieldError {
        match self {
            Refusal::NotFound(error)
            | Refusal::Conflict(error)
            | Refusal::Invalid(error)
            | Refusal::Paused(error) => error,
        }
    }

    pub fn into_error(self) -> FieldError {
        match self {
            Refusal::NotFound(error)
            | Refusal::Conflict(error)
            | Refusal::Invalid(error)
            | Refusal::Paused(error) => error,
        }
    }
}

/// A refusal reads as its field error (`refusal.field`, `refusal.message`).
impl Deref for Refusal {
    type Target = FieldError;

    fn deref(&self) -> &FieldError {
        self.error()
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}
