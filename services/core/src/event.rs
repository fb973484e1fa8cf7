//! Events of a node's log. R: L-01, E-12, E-13, T-04, A-01.
//!
//! Event names are past tense; each payload has a type name (`kind`) and the log stores
//! `SCHEMA_VERSION` beside it, so an old event can be upcast when a payload changes.
//! An event's identity (UUID v7) is made where it first happened and never changes.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::entry::Entry;
use crate::ids::{AccountId, EventId, IncidentId, RecordId};
use crate::incident::Incident;
use crate::jurisdiction::JurisdictionCode;

/// Version of the payload schema written by this code.
pub const SCHEMA_VERSION: i32 = 1;

/// Who did it: an account of a jurisdiction (`131016/admin`), or the node itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub jurisdiction: JurisdictionCode,
    pub account: AccountId,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.jurisdiction, self.account)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Payload {
    IncidentCreated {
        incident: Incident,
    },
    EntryRecorded {
        record_id: RecordId,
        entry: Box<Entry>,
    },
    EntryDeleted {
        record_id: RecordId,
        reason: String,
    },
    DepartureRecorded {
        record_id: RecordId,
        date: NaiveDate,
    },
    AccountCreated {
        account: AccountId,
        display_name: String,
        role: String,
    },
}

impl Payload {
    /// The type name stored in the log's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::IncidentCreated { .. } => "IncidentCreated",
            Payload::EntryRecorded { .. } => "EntryRecorded",
            Payload::EntryDeleted { .. } => "EntryDeleted",
            Payload::DepartureRecorded { .. } => "DepartureRecorded",
            Payload::AccountCreated { .. } => "AccountCreated",
        }
    }

    /// The record an event is about, if any.
    pub fn record_id(&self) -> Option<RecordId> {
        match self {
            Payload::EntryRecorded { record_id, .. }
            | Payload::EntryDeleted { record_id, .. }
            | Payload::DepartureRecorded { record_id, .. } => Some(*record_id),
            _ => None,
        }
    }
}

/// An event before the log gave it a position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub id: EventId,
    pub incident: Option<IncidentId>,
    /// The jurisdiction where the event first happened (E-13: the collecting node).
    pub origin: JurisdictionCode,
    pub actor: Actor,
    /// 記入日時 of an entry (the form's date-time); `None` for other events.
    pub written_at: Option<DateTime<Utc>>,
    /// 受信日時: when the originating node's system received it.
    pub received_at: DateTime<Utc>,
    pub payload: Payload,
}

/// An event as read from the log, with its gap-free position (L-02).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub position: i64,
    #[serde(flatten)]
    pub event: NewEvent,
}
