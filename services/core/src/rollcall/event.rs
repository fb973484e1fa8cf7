//! The events roll-call writes to the node's log (K-09: answers keep their history).
//! They stay at the node (never reported upward). Mail delivery states are not
//! events: they live beside the outbox (`docs/adr/0017-rollcall.md`).

use serde::{Deserialize, Serialize};

use super::authority::RollcallRole;
use super::contact::{ContactPurpose, Contacts};
use super::info::{InfoSettings, Notice, Route};
use super::mail::MailSettings;
use super::member::{MailAddress, Member, MemberCode};
use super::mode::Mode;
use super::org::{OrgCode, Organisation};
use super::template::{Template, TemplateKind};
use crate::ids::{AccountId, RollcallId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum RollcallEvent {
    /// An organisation added or changed (name, parent).
    OrganisationSaved { org: Organisation },
    /// An organisation removed (it had no members and no organisations below it).
    OrganisationRemoved { code: OrgCode },
    /// A member added or changed.
    MemberSaved { member: Member },
    /// A member removed.
    MemberRemoved { code: MemberCode },
    /// A roll-call role given to a node account, or taken away (`role` empty).
    RoleAssigned {
        account: AccountId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<RollcallRole>,
    },
    /// The mail server settings changed (the SMTP password only as "set or not").
    MailSettingsChanged {
        settings: MailSettings,
        password_set: bool,
    },
    /// A mail template saved.
    TemplateSaved {
        kind: TemplateKind,
        template: Template,
    },
    /// A roll-call sent (K-01): to these organisations (as chosen), reaching these
    /// members (sub-organisations included); `statuses`: the answers offered.
    /// `trigger`: why the node started it by itself (K-08: the earthquake telegram's
    /// decision, with its reason); absent when someone sent it.
    Started {
        rollcall: RollcallId,
        title: String,
        mode: Mode,
        orgs: Vec<OrgCode>,
        members: Vec<MemberCode>,
        statuses: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
    },
    /// The mail sent again to these members (K-03: the unconfirmed).
    Resent {
        rollcall: RollcallId,
        round: i32,
        members: Vec<MemberCode>,
    },
    /// A member opened their link for the first time in this round (K-02, K-03).
    LinkOpened {
        rollcall: RollcallId,
        round: i32,
        member: MemberCode,
    },
    /// An answer (K-02): by the member through their link, or by an administrator on
    /// their behalf (`proxy`, 代理). Every answer is kept; the first stays visible.
    Answered {
        rollcall: RollcallId,
        round: i32,
        member: MemberCode,
        status: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        comment: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proxy: Option<AccountId>,
    },
    /// The results cleared to start over (K-03): `round` is the new round; the old
    /// round's answers stay in the log.
    Cleared { rollcall: RollcallId, round: i32 },
    /// The roll-call closed: its links no longer open.
    Closed { rollcall: RollcallId },
    /// A member's emergency contacts set (K-05): by the member through their personal
    /// link (`proxy` empty) or by an administrator on their behalf (代理設定).
    ContactsSet {
        member: MemberCode,
        contacts: Contacts,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proxy: Option<AccountId>,
    },
    /// Contact mails queued (K-05): the request to set contacts (to the directory's
    /// addresses), or the check of each contact address.
    ContactMailsSent {
        purpose: ContactPurpose,
        members: Vec<MemberCode>,
    },
    /// A member confirmed, through a check mail's link, that `address` receives mail.
    ContactConfirmed {
        member: MemberCode,
        address: MailAddress,
    },
    /// The roll-call withdrawn (K-08: the earthquake telegram that started it was
    /// cancelled, 取消): no answer is needed any more; its links say so, and the members
    /// it reached are told by mail. `reason`: why, in Japanese.
    Cancelled {
        rollcall: RollcallId,
        reason: String,
    },
    /// K-07: the organisation's emergency contacts and links saved (the whole list).
    InfoSaved { info: InfoSettings },
    /// K-07: an evacuation route added or changed.
    RouteSaved { route: Route },
    /// K-07: an evacuation route removed.
    RouteRemoved { id: u32 },
    /// K-07: a post on the bulletin board (お知らせ).
    NoticePosted { notice: Notice },
    /// K-07: a post withdrawn: members no longer see it; it stays in the history, with
    /// `reason`, for the administrators.
    NoticeWithdrawn { id: u32, reason: String },
}

impl RollcallEvent {
    /// The log's `kind` of the event.
    pub fn kind(&self) -> &'static str {
        match self {
            RollcallEvent::OrganisationSaved { .. } => "RollcallOrganisationSaved",
            RollcallEvent::OrganisationRemoved { .. } => "RollcallOrganisationRemoved",
            RollcallEvent::MemberSaved { .. } => "RollcallMemberSaved",
            RollcallEvent::MemberRemoved { .. } => "RollcallMemberRemoved",
            RollcallEvent::RoleAssigned { .. } => "RollcallRoleAssigned",
            RollcallEvent::MailSettingsChanged { .. } => "RollcallMailSettingsChanged",
            RollcallEvent::TemplateSaved { .. } => "RollcallTemplateSaved",
            RollcallEvent::Started { .. } => "RollcallStarted",
            RollcallEvent::Resent { .. } => "RollcallResent",
            RollcallEvent::LinkOpened { .. } => "RollcallLinkOpened",
            RollcallEvent::Answered { .. } => "RollcallAnswered",
            RollcallEvent::Cleared { .. } => "RollcallCleared",
            RollcallEvent::Closed { .. } => "RollcallClosed",
            RollcallEvent::ContactsSet { .. } => "RollcallContactsSet",
            RollcallEvent::ContactMailsSent { .. } => "RollcallContactMailsSent",
            RollcallEvent::ContactConfirmed { .. } => "RollcallContactConfirmed",
            RollcallEvent::Cancelled { .. } => "RollcallCancelled",
            RollcallEvent::InfoSaved { .. } => "RollcallInfoSaved",
            RollcallEvent::RouteSaved { .. } => "RollcallRouteSaved",
            RollcallEvent::RouteRemoved { .. } => "RollcallRouteRemoved",
            RollcallEvent::NoticePosted { .. } => "RollcallNoticePosted",
            RollcallEvent::NoticeWithdrawn { .. } => "RollcallNoticeWithdrawn",
        }
    }
}
