//! The intake pause state as committed: what the writer publishes after each
//! pause or resume and what the reader loads at start.

use anpi_core::report::IntakeScope;
use chrono::{DateTime, Utc};

/// Pause state of one intake scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScopeState {
    pub paused: bool,
    pub changed_at: Option<DateTime<Utc>>,
    pub actor: Option<String>,
}

/// Pause state of both scopes, as committed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntakeState {
    pub own: ScopeState,
    pub reports: ScopeState,
}

impl IntakeState {
    pub fn get(&self, scope: IntakeScope) -> &ScopeState {
        match scope {
            IntakeScope::Own => &self.own,
            IntakeScope::Reports => &self.reports,
        }
    }

    pub(super) fn get_mut(&mut self, scope: IntakeScope) -> &mut ScopeState {
        match scope {
            IntakeScope::Own => &mut self.own,
            IntakeScope::Reports => &mut self.reports,
        }
    }
}
