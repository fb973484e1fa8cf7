//! Events of a node's log. R: L-01, E-12, E-13, T-04, A-01.
//!
//! Event names are past tense; each payload has a type name (`kind`) and the log stores
//! `SCHEMA_VERSION` beside it, so an old event can be upcast when a payload changes.
//! An event's identity (UUID v7) is made where it first happened and never changes.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::chain::ChainPoint;
use crate::entry::Entry;
use crate::ids::{AccountId, EventId, IncidentId, InquiryId, LogId, RecordId, ReportId};
use crate::incident::Incident;
use crate::inquiry_types::{Answer, Identification, Inquiry};
use crate::jurisdiction::JurisdictionCode;
use crate::kinds::{DedupMode, IntakeScope, Notice, Rule};
use uuid::Uuid;

/// Version of the payload schema written by this code.
pub const SCHEMA_VERSION: i32 = 1;

/// The `kind`s of the events that reports carry upward.
/// `RetentionSet` travels too, so that every tier holds the same retention end (issue 21).
pub const REPORTABLE_KINDS: [&str; 5] = [
    "IncidentCreated",
    "EntryRecorded",
    "EntryDeleted",
    "DepartureRecorded",
    "RetentionSet",
];

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
        /// A drill this node made for its own practice: its events are never reported
        /// upward (T-06, `incident::decide_create`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        local: bool,
    },
    EntryRecorded {
        record_id: RecordId,
        entry: Box<Entry>,
        /// The record this entry replaces (E-10, E-11); that record's deletion is
        /// recorded just before this event.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supersedes: Option<RecordId>,
    },
    EntryDeleted {
        record_id: RecordId,
        reason: String,
    },
    DepartureRecorded {
        record_id: RecordId,
        date: NaiveDate,
    },
    /// An account issued: the register entry (no password: only its hash is
    /// kept, outside the log). `initial`: the password is one-time.
    AccountCreated {
        account: AccountId,
        display_name: String,
        role: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        affiliation: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        contact: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        terminal: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        initial: bool,
    },
    /// An account withdrawn (返却, A-01): it can no longer log in.
    AccountWithdrawn {
        account: AccountId,
    },
    /// A password set: by the holder (`initial` false) or reset by an
    /// administrator as a new one-time password (`initial` true).
    PasswordSet {
        account: AccountId,
        initial: bool,
    },
    /// Locked after failed logins in a row.
    AccountLocked {
        account: AccountId,
        failures: i32,
    },
    /// Unlocked by an administrator: any lock and the login back-off cleared.
    AccountUnlocked {
        account: AccountId,
    },
    /// The node's operator restored an administrator from the node's host
    /// (`anpi-node recover-admin`, A-01, A-03): lock and back-off cleared and a new
    /// one-time password set; `created`: the ID was issued as a new administrator (its
    /// `AccountCreated` comes just before).
    AdministratorRecovered {
        account: AccountId,
        created: bool,
    },
    /// (National) an order to disable `account` at `jurisdiction`'s node,
    /// sent over NATS as `order_id`.
    AccountRevocationOrdered {
        order_id: Uuid,
        jurisdiction: JurisdictionCode,
        account: AccountId,
        reason: String,
    },
    /// The national tier's order `order_id` disabled this node's `account`: it
    /// can no longer log in and its sessions ended.
    AccountRevoked {
        account: AccountId,
        order_id: Uuid,
        reason: String,
    },
    /// The private area was purged (A-04, the incident procedure after a compromised
    /// ID): every record of this node's read model is removed; the log keeps them and
    /// this fact. `records`: how many records the private area held.
    PrivateAreaPurged {
        reason: String,
        records: i64,
    },
    /// This node's Ed25519 report-signing key was made; only the public key
    /// (hex) is logged.
    NodeKeyCreated {
        public_key: String,
    },
    /// A child jurisdiction's report-signing public key (hex) registered here;
    /// it replaces any earlier key of that child.
    ChildKeyRegistered {
        child: JurisdictionCode,
        public_key: String,
    },
    /// The national tier's public key (hex) registered here: its orders
    /// are carried out only when signed by it. Replaces any earlier one.
    NationalKeyRegistered {
        public_key: String,
    },
    /// A national order was refused: not signed by the registered national key,
    /// or unreadable; nothing of it was carried out.
    OrderRefused {
        subject: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        order_id: String,
        reason: String,
    },
    /// A report part was refused: not signed by the sender's registered
    /// key, altered, or breaking the report rules; nothing of it was applied.
    ReportPartRefused {
        subject: String,
        /// The sender the part claimed, as given.
        from: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        report_id: String,
        reason: String,
    },
    /// "Report" was pressed: the reportable events at positions
    /// `after_position < p <= through_position` go to `to` as report number `seq`.
    ReportSent {
        report_id: ReportId,
        seq: i64,
        to: JurisdictionCode,
        after_position: i64,
        through_position: i64,
        event_count: i64,
    },
    /// A subordinate's report was applied: its new events were appended
    /// at local positions `first_position..=last_position`.
    ReportReceived {
        report_id: ReportId,
        from: JurisdictionCode,
        log_id: LogId,
        seq: i64,
        /// Events in the report.
        event_count: i64,
        /// Of those, events this log already held (applied before): not appended again.
        duplicates: i64,
        parts: i32,
        first_position: Option<i64>,
        last_position: Option<i64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notices: Vec<Notice>,
        /// The sender's chain at the report's end (L-05): the parent keeps it, and the
        /// sender's next report must agree with it (`chain::check_heads`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        head: Option<ChainPoint>,
        /// The sender's link, as its log held it when sending, at the previous
        /// report's head.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<ChainPoint>,
    },
    /// The parent confirmed it applied one of this node's reports.
    ReportAcknowledged {
        report_id: ReportId,
        by: JurisdictionCode,
        applied_at: DateTime<Utc>,
        appended: i64,
        duplicates: i64,
    },
    /// Intake paused.
    IntakePaused {
        scope: IntakeScope,
    },
    /// Intake resumed.
    IntakeResumed {
        scope: IntakeScope,
    },
    /// Automatic duplicate removal (D-02): `removed` is deleted in this tier's private
    /// area in favour of `kept`, by `rule`. Each tier decides for itself on intake
    /// (D-07), so the event stays local and is not reported.
    DuplicateRemoved {
        kept: RecordId,
        removed: RecordId,
        rule: Rule,
        mode: DedupMode,
    },
    /// Two records with the same 4 information whose 記入日時 and 受信日時 disagree
    /// (D-02, 例3): both stay, flagged for the operator. Local, like the removal.
    DuplicateFlagged {
        older: RecordId,
        newer: RecordId,
        mode: DedupMode,
    },
    /// The national tier published its read model as a numbered version of the shared
    /// dataset (共用領域, P-02): the read model as folded through `through_position`.
    DatasetPublished {
        version: i64,
        through_position: i64,
        record_count: i64,
        changed_count: i64,
    },
    /// An inquiry was registered: Form 4, or taken by phone or orally.
    InquiryRegistered {
        inquiry_id: InquiryId,
        inquiry: Box<Inquiry>,
    },
    /// The person asked about was looked for in the private area and the shared
    /// dataset: the outcome, and how many records of each were read to reach it.
    InquiryIdentified {
        inquiry_id: InquiryId,
        identification: Identification,
        searched: Searched,
    },
    /// The officer refused to answer for an improper purpose.
    InquiryRefused {
        inquiry_id: InquiryId,
        reason: String,
    },
    /// The answer given (Q-04..Q-06): exactly what was disclosed (Form 5 as data and as
    /// text), about which record.
    InquiryAnswered {
        inquiry_id: InquiryId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record_id: Option<RecordId>,
        answer: Answer,
        form5: String,
        /// How the answer was given (第5 4(5)); absent in answers from before it was asked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<crate::inquiry_types::AnswerChannel>,
    },
    /// A publication decision about one record (公表, X-02): this body's own about a
    /// record it collected, or the collecting body's, confirmed with it
    /// (`decision.confirmed_with`, 第5 4(3)イ(ウ)b). The latest decision about a record
    /// stands. Local: never reported.
    PublicationDecided {
        record_id: RecordId,
        decision: crate::publication_types::PublicationDecision,
    },
    /// Roll-call (K-01..K-09): organisations, members, settings, roll-calls, answers.
    Rollcall(crate::rollcall::RollcallEvent),
    /// The end of the incident's retention period (保存期間, guideline 第4 3(2)※ and
    /// 第5 2(1)※; issue 21, ADR 0019), set by an administrator. The latest one folded
    /// at a node stands; reported upward so that every tier holds the same date.
    RetentionSet {
        until: NaiveDate,
    },
    /// The incident's personal data was made unreadable in this node (issue 21,
    /// ADR 0019): the data keys of its sealed events were destroyed and its records,
    /// inquiries and the rows derived from them deleted. Local: each tier purges itself.
    IncidentPurged {
        records: i64,
        inquiries: i64,
    },
    /// Never written: what a reader returns for a sealed event whose data key was
    /// destroyed by a purge (`crate::seal`). `of` is the stored kind.
    Purged {
        of: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record_id: Option<RecordId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inquiry_id: Option<InquiryId>,
    },
}

/// Where an identification looked, for the log of reads of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Searched {
    /// Candidate records read from the private area.
    pub private: i64,
    /// Candidate records read from the shared dataset, and its version.
    pub shared: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_version: Option<i64>,
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
            Payload::AccountWithdrawn { .. } => "AccountWithdrawn",
            Payload::PasswordSet { .. } => "PasswordSet",
            Payload::AccountLocked { .. } => "AccountLocked",
            Payload::AccountUnlocked { .. } => "AccountUnlocked",
            Payload::AdministratorRecovered { .. } => "AdministratorRecovered",
            Payload::AccountRevocationOrdered { .. } => "AccountRevocationOrdered",
            Payload::AccountRevoked { .. } => "AccountRevoked",
            Payload::NodeKeyCreated { .. } => "NodeKeyCreated",
            Payload::PrivateAreaPurged { .. } => "PrivateAreaPurged",
            Payload::ChildKeyRegistered { .. } => "ChildKeyRegistered",
            Payload::NationalKeyRegistered { .. } => "NationalKeyRegistered",
            Payload::OrderRefused { .. } => "OrderRefused",
            Payload::ReportPartRefused { .. } => "ReportPartRefused",
            Payload::ReportSent { .. } => "ReportSent",
            Payload::ReportReceived { .. } => "ReportReceived",
            Payload::ReportAcknowledged { .. } => "ReportAcknowledged",
            Payload::IntakePaused { .. } => "IntakePaused",
            Payload::IntakeResumed { .. } => "IntakeResumed",
            Payload::DuplicateRemoved { .. } => "DuplicateRemoved",
            Payload::DuplicateFlagged { .. } => "DuplicateFlagged",
            Payload::DatasetPublished { .. } => "DatasetPublished",
            Payload::InquiryRegistered { .. } => "InquiryRegistered",
            Payload::InquiryIdentified { .. } => "InquiryIdentified",
            Payload::InquiryRefused { .. } => "InquiryRefused",
            Payload::InquiryAnswered { .. } => "InquiryAnswered",
            Payload::PublicationDecided { .. } => "PublicationDecided",
            Payload::Rollcall(event) => event.kind(),
            Payload::RetentionSet { .. } => "RetentionSet",
            Payload::IncidentPurged { .. } => "IncidentPurged",
            Payload::Purged { .. } => "Purged",
        }
    }

    /// Whether the event travels upward in reports: incidents, entries,
    /// deletions and departures. Accounts, reports and intake changes stay local.
    pub fn is_reportable(&self) -> bool {
        REPORTABLE_KINDS.contains(&self.kind())
    }

    /// The record an event is about, if any.
    pub fn record_id(&self) -> Option<RecordId> {
        match self {
            Payload::EntryRecorded { record_id, .. }
            | Payload::EntryDeleted { record_id, .. }
            | Payload::DepartureRecorded { record_id, .. }
            | Payload::PublicationDecided { record_id, .. } => Some(*record_id),
            Payload::DuplicateRemoved { removed, .. } => Some(*removed),
            Payload::Purged { record_id, .. } => *record_id,
            _ => None,
        }
    }

    /// The inquiry an event is about, if any.
    pub fn inquiry_id(&self) -> Option<InquiryId> {
        match self {
            Payload::InquiryRegistered { inquiry_id, .. }
            | Payload::InquiryIdentified { inquiry_id, .. }
            | Payload::InquiryRefused { inquiry_id, .. }
            | Payload::InquiryAnswered { inquiry_id, .. } => Some(*inquiry_id),
            Payload::Purged { inquiry_id, .. } => *inquiry_id,
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
    /// For an event received in a report from below: where it stood in the sender's
    /// log, with the sender's link there (L-05, `crate::chain`). `None` for events made
    /// here and events of senders from before the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<ChainPoint>,
    pub payload: Payload,
}

/// An event as read from the log, with its gap-free position (L-02).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub position: i64,
    #[serde(flatten)]
    pub event: NewEvent,
}
