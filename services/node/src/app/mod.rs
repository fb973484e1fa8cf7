//! The application layer (issue 14): one function per use case, shared by every front
//! door — gRPC (`api`) today, the web console next. A front door only turns its input
//! into domain values and the login it was given into a [`Session`]
//! ([`NodeState::session`]); each use case then authorises itself for its operation
//! the role, the forced password change), gets the read log when the
//! operation reads personal data (A-06, [`ReadLog`]), lets the domain and the writer
//! do the work, and returns a typed reply or an [`AppError`] that each front door maps
//! in one place (gRPC: `api::error`).
//!
//! Layers: front doors → app → domain (`anpi_core`); app → writer / store / bus.

pub mod accounts;
pub mod audit;
pub mod entries;
pub mod error;
pub mod inquiry;
pub mod jma;
pub mod organise;
pub mod publication;
pub mod reads;
pub mod replay;
pub mod reports;
pub mod retention;
pub mod rollcall;
pub mod rollcall_contacts;
pub mod rollcall_info;
pub mod shared;
pub mod trust;

use std::sync::Arc;

use anpi_core::account::{self, Operation};
use anpi_core::event::Actor;
use anpi_core::incident::Incident;
use deadpool_postgres::Pool;

use crate::config::Config;
use crate::store::accounts::{Accounts, Session};
use crate::store::reader;
use crate::store::writer::Writer;

pub use error::AppError;
pub use reads::ReadLog;

/// Shared state of a node's front doors: its configuration, the single writer, the
/// read pool, the accounts and (when connected) the NATS side.
pub struct NodeState {
    pub config: Config,
    pub writer: Writer,
    pub pool: Pool,
    /// Read-only work (searches, the public page, audit reads): the standby when one
    /// is configured and answering, else `pool` (issue 22).
    pub reads: crate::store::standby::ReadPool,
    pub accounts: Arc<Accounts>,
    /// The NATS side (reports); used here only to show what waits in JetStream.
    pub bus: Option<Arc<crate::bus::Bus>>,
}

/// Who is calling, with what rights, and — for an operation that reads personal
/// data — the request's read log entry, written even if a use case forgets.
/// Made only by [`NodeState::authorize`].
pub struct Caller {
    pub actor: Actor,
    pub session: Session,
    reads: Option<ReadLog>,
}

impl Caller {
    /// Records what a read of personal data asked and found.
    pub async fn log_read(&self, operation: &str, query: serde_json::Value, results: usize) {
        match &self.reads {
            Some(reads) => reads.record(operation, query, results).await,
            None => tracing::error!(
                operation,
                "a read of personal data under an operation not marked as reading it"
            ),
        }
    }
}

impl NodeState {
    /// The session of a login token (gRPC bearer token, console session), or
    /// UNAUTHENTICATED when it is unknown or expired.
    pub async fn session(&self, token: &str) -> Result<Session, AppError> {
        self.accounts
            .authenticate(token.trim())
            .await?
            .ok_or(AppError::LoginExpired)
    }

    /// The caller of `session` for `operation`, if its role may do it at this node
    /// refused when it may not, or when only the password change is allowed
    ///
    pub fn authorize(&self, session: &Session, operation: Operation) -> Result<Caller, AppError> {
        self.may(session, operation)?;
        Ok(Caller {
            actor: Actor {
                jurisdiction: self.config.jurisdiction.clone(),
                account: session.account.clone(),
            },
            reads: ReadLog::of(&self.accounts, session, operation),
            session: session.clone(),
        })
    }

    /// Whether `session` may do `operation` here, without doing it: for a
    /// front door that shows an empty form only to those who may use it. Reads nothing,
    /// so it makes no read-log entry.
    pub fn may(&self, session: &Session, operation: Operation) -> Result<(), AppError> {
        if let Some(message) = account::must_change_message(session.state)
            && !matches!(
                operation,
                Operation::ChangeOwnPassword | Operation::NodeInfo
            )
        {
            return Err(AppError::MustChangePassword(message));
        }
        if !account::permits(session.role, operation, self.config.tier) {
            return Err(AppError::Forbidden(account::denial_message(
                session.role,
                operation,
            )));
        }
        Ok(())
    }

    /// Every incident this node holds.
    pub async fn incidents(&self) -> Result<Vec<Incident>, AppError> {
        let client = self.pool.get().await.map_err(crate::store::Error::from)?;
        Ok(reader::list_incidents(&**client).await?)
    }
}
