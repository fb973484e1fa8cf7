//! A roll-call: who it asks, each member's progress in the current round, the rules of
//! opening, answering, resending, clearing and closing (K-01..K-03, K-09, source pages
//! 12, 13), and the dashboard's counts.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::event::RollcallEvent;
use super::member::{Member, MemberCode};
pub use super::mode::Mode;
use super::org::{OrgCode, OrgTree};
use crate::ids::{AccountId, RollcallId};
use crate::refusal::Refusal;
use crate::validation::FieldError;

/// The answers offered unless the sender chooses others (K-02).
pub const DEFAULT_STATUSES: [&str; 4] = ["無事", "軽傷", "重傷", "その他"];

/// An answer's status, one of the roll-call's list.
pub type AnswerStatus = String;

/// Checks a list of statuses to offer: 2–8, each one line of at most 20 characters,
/// no two the same. Empty: the defaults.
pub fn check_statuses(list: &[String]) -> Result<Vec<String>, FieldError> {
    if list.iter().all(|s| s.trim().is_empty()) {
        return Ok(DEFAULT_STATUSES.iter().map(|s| s.to_string()).collect());
    }
    let mut out: Vec<String> = Vec::new();
    for status in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if let Some(error) =
            crate::text::check_value("statuses", crate::text::TextKind::Line, 20, status)
                .into_iter()
                .next()
        {
            return Err(error);
        }
        if out.iter().any(|s| s == status) {
            return Err(FieldError::new(
                "statuses",
                format!("回答の選択肢「{status}」が重複しています"),
            ));
        }
        out.push(status.to_string());
    }
    if !(2..=8).contains(&out.len()) {
        return Err(FieldError::new(
            "statuses",
            "回答の選択肢は2〜8個にしてください",
        ));
    }
    Ok(out)
}

/// Where a member stands in the current round (K-03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// The link was not opened (メール本文内のURLにアクセスしていない).
    NotOpened,
    /// Opened but not answered.
    Opened,
    /// Answered by the member.
    Answered,
    /// Answered by someone else on the member's behalf (代理).
    Proxy,
}

impl Progress {
    pub const ALL: [Progress; 4] = [
        Progress::NotOpened,
        Progress::Opened,
        Progress::Answered,
        Progress::Proxy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Progress::NotOpened => "not_opened",
            Progress::Opened => "opened",
            Progress::Answered => "answered",
            Progress::Proxy => "proxy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Progress::NotOpened => "未開封",
            Progress::Opened => "開封・未回答",
            Progress::Answered => "回答済み",
            Progress::Proxy => "代理回答",
        }
    }

    /// Answered (by anyone): the member is confirmed and gets no resend.
    pub fn is_confirmed(self) -> bool {
        matches!(self, Progress::Answered | Progress::Proxy)
    }
}

/// What decides about one member in the current round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecipientState {
    pub opened: bool,
    /// The latest answer of this round: by proxy or not; `None`: no answer yet.
    pub last_answer_proxy: Option<bool>,
}

impl RecipientState {
    pub fn progress(self) -> Progress {
        match (self.last_answer_proxy, self.opened) {
            (Some(true), _) => Progress::Proxy,
            (Some(false), _) => Progress::Answered,
            (None, true) => Progress::Opened,
            (None, false) => Progress::NotOpened,
        }
    }
}

/// What decides about the roll-call as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollCall {
    pub id: RollcallId,
    pub title: String,
    pub mode: Mode,
    pub orgs: Vec<OrgCode>,
    pub statuses: Vec<String>,
    pub round: i32,
    pub closed: bool,
    /// Withdrawn (K-08: its earthquake telegram was cancelled): no answers any more.
    pub cancelled: bool,
}

/// A roll-call about to be sent: what the `Started` event will hold and who gets mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<'a> {
    pub event: RollcallEvent,
    /// Members reached, with at least one address.
    pub recipients: Vec<&'a Member>,
    /// Members of the chosen organisations without any address: asked nothing (the
    /// dashboard lists them so that someone phones them).
    pub without_mail: Vec<&'a Member>,
}

fn invalid(field: &str, message: impl Into<String>) -> Refusal {
    Refusal::Invalid(FieldError::new(field, message))
}

/// Plans a broadcast (K-01): checks title, organisations and statuses; the members of
/// the chosen organisations and of every organisation below them. The sender's
/// authority is checked before (`Authority::may_act_on`).
pub fn plan<'a>(
    id: RollcallId,
    tree: &OrgTree,
    members: &'a [Member],
    chosen: &[OrgCode],
    title: &str,
    mode: Mode,
    statuses: &[String],
) -> Result<Plan<'a>, Refusal> {
    let title = super::check_name("rollcall_title", "件名", title, 60).map_err(Refusal::Invalid)?;
    if chosen.is_empty() {
        return Err(invalid(
            "rollcall_orgs",
            "配信先の組織を1つ以上選んでください",
        ));
    }
    tree.check_known("rollcall_orgs", chosen)
        .map_err(Refusal::Invalid)?;
    let statuses = check_statuses(statuses).map_err(Refusal::Invalid)?;
    let scope = tree.with_descendants(chosen);
    let (recipients, without_mail): (Vec<&Member>, Vec<&Member>) = members
        .iter()
        .filter(|m| m.belongs_to_any(&scope))
        .partition(|m| !m.mails.is_empty());
    if recipients.is_empty() {
        return Err(invalid(
            "rollcall_orgs",
            "選んだ組織（下位組織を含む）には、メールアドレスが登録された職員がいません",
        ));
    }
    let mut orgs = chosen.to_vec();
    orgs.sort();
    orgs.dedup();
    Ok(Plan {
        event: RollcallEvent::Started {
            rollcall: id,
            title,
            mode,
            orgs,
            members: recipients.iter().map(|m| m.code.clone()).collect(),
            statuses,
            trigger: None,
        },
        recipients,
        without_mail,
    })
}

/// The plain refusal of a wrong, expired or closed link: it says nothing else (K-02).
pub fn link_refused() -> Refusal {
    Refusal::NotFound(FieldError::new(
        "token",
        "このリンクは無効か、期限が切れています。",
    ))
}

/// Why a withdrawn roll-call takes nothing more (K-08).
fn cancelled_refusal() -> Refusal {
    Refusal::Conflict(FieldError::new(
        "rollcall",
        "この安否確認は取り消されました。回答の必要はありません",
    ))
}

/// A member opens their link: the first opening of a round is an event; later ones
/// change nothing. A closed roll-call's links no longer open; a cancelled one's open
/// (to say it was cancelled) without counting as opened.
pub fn decide_open(
    call: &RollCall,
    member: &MemberCode,
    state: RecipientState,
) -> Result<Option<RollcallEvent>, Refusal> {
    if call.closed {
        return Err(link_refused());
    }
    if call.cancelled {
        return Ok(None);
    }
    Ok((!state.opened).then(|| RollcallEvent::LinkOpened {
        rollcall: call.id,
        round: call.round,
        member: member.clone(),
    }))
}

/// An answer, by the member (`proxy` empty) or on their behalf (K-02). May be given
/// again: every answer is an event.
pub fn decide_answer(
    call: &RollCall,
    member: &MemberCode,
    status: &str,
    comment: &str,
    proxy: Option<AccountId>,
) -> Result<RollcallEvent, Refusal> {
    if call.closed {
        return Err(match proxy {
            None => link_refused(),
            Some(_) => {
                Refusal::Conflict(FieldError::new("rollcall", "この安否確認は終了しています"))
            }
        });
    }
    if call.cancelled {
        return Err(cancelled_refusal());
    }
    let status = status.trim();
    if !call.statuses.iter().any(|s| s == status) {
        return Err(invalid(
            "status",
            format!("安否状況を選んでください（{}）", call.statuses.join("・")),
        ));
    }
    let comment = comment.trim();
    if let Some(error) =
        crate::text::check_value("comment", crate::text::TextKind::Text, 400, comment)
            .into_iter()
            .next()
    {
        return Err(Refusal::Invalid(error));
    }
    Ok(RollcallEvent::Answered {
        rollcall: call.id,
        round: call.round,
        member: member.clone(),
        status: status.to_string(),
        comment: comment.to_string(),
        proxy,
    })
}

/// The mail again to the members not yet confirmed (K-03 ②).
pub fn decide_resend<'a>(
    call: &RollCall,
    states: impl IntoIterator<Item = (&'a MemberCode, RecipientState)>,
) -> Result<RollcallEvent, Refusal> {
    if call.closed {
        return Err(Refusal::Conflict(FieldError::new(
            "rollcall",
            "この安否確認は終了しています",
        )));
    }
    if call.cancelled {
        return Err(cancelled_refusal());
    }
    let members: Vec<MemberCode> = states
        .into_iter()
        .filter(|(_, s)| !s.progress().is_confirmed())
        .map(|(m, _)| m.clone())
        .collect();
    if members.is_empty() {
        return Err(Refusal::Conflict(FieldError::new(
            "rollcall",
            "未確認の職員はいません（全員が回答済みです）",
        )));
    }
    Ok(RollcallEvent::Resent {
        rollcall: call.id,
        round: call.round,
        members,
    })
}

/// Clears the results to start over (K-03): a new round.
pub fn decide_clear(call: &RollCall) -> Result<RollcallEvent, Refusal> {
    if call.closed {
        return Err(Refusal::Conflict(FieldError::new(
            "rollcall",
            "この安否確認は終了しています",
        )));
    }
    if call.cancelled {
        return Err(cancelled_refusal());
    }
    Ok(RollcallEvent::Cleared {
        rollcall: call.id,
        round: call.round + 1,
    })
}

/// Closes the roll-call: its links expire.
pub fn decide_close(call: &RollCall) -> Result<RollcallEvent, Refusal> {
    if call.closed {
        return Err(Refusal::Conflict(FieldError::new(
            "rollcall",
            "この安否確認は既に終了しています",
        )));
    }
    Ok(RollcallEvent::Closed { rollcall: call.id })
}

/// Withdraws the roll-call (K-08: the earthquake telegram that started it was
/// cancelled). Once only; a closed roll-call can be withdrawn too (its links already
/// expired; the members are still told). `reason`: why, one line or more, not blank.
pub fn decide_cancel(call: &RollCall, reason: &str) -> Result<RollcallEvent, Refusal> {
    if call.cancelled {
        return Err(Refusal::Conflict(FieldError::new(
            "rollcall",
            "この安否確認は既に取り消されています",
        )));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "取消の理由がありません"));
    }
    Ok(RollcallEvent::Cancelled {
        rollcall: call.id,
        reason: reason.to_string(),
    })
}

/// One member on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow<'a> {
    pub member: &'a Member,
    pub progress: Progress,
    /// The latest answer's status, if answered.
    pub status: Option<&'a str>,
}

/// The counts of one organisation, its sub-organisations included (K-03 ③).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrgCount {
    pub total: usize,
    pub progress: BTreeMap<Progress, usize>,
    /// Per status of the latest answers.
    pub statuses: BTreeMap<String, usize>,
}

/// The dashboard's counts: the whole roll-call, then each organisation of the tree
/// that has recipients (a member of two organisations counts in both).
pub fn tally(tree: &OrgTree, rows: &[MemberRow<'_>]) -> (OrgCount, Vec<(OrgCode, OrgCount)>) {
    let count = |rows: &mut dyn Iterator<Item = &MemberRow<'_>>| {
        let mut c = OrgCount::default();
        for row in rows {
            c.total += 1;
            *c.progress.entry(row.progress).or_default() += 1;
            if let Some(status) = row.status {
                *c.statuses.entry(status.to_string()).or_default() += 1;
            }
        }
        c
    };
    let whole = count(&mut rows.iter());
    let mut per_org = Vec::new();
    for org in tree.in_order() {
        let scope: BTreeSet<OrgCode> = tree.with_descendants([&org.code]);
        let c = count(&mut rows.iter().filter(|r| r.member.belongs_to_any(&scope)));
        if c.total > 0 {
            per_org.push((org.code.clone(), c));
        }
    }
    (whole, per_org)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollcall::org::tests::{code, sample};

    fn member(c: &str, orgs: &[&str], mail: bool) -> Member {
        Member::parse(
            c,
            &format!("職員{c}"),
            &orgs.join(" "),
            if mail { "x@example.jp" } else { "" },
        )
        .unwrap()
    }

    fn members() -> Vec<Member> {
        vec![
            member("a", &["soumu"], true),
            member("b", &["soumu.kikaku"], true),
            member("c", &["soumu.bousai.1"], true),
            member("d", &["kensetsu"], true),
            member("e", &["soumu.bousai"], false),
        ]
    }

    fn call() -> RollCall {
        RollCall {
            id: RollcallId::from_uuid(uuid::Uuid::nil()),
            title: "地震".into(),
            mode: Mode::Actual,
            orgs: vec![code("soumu")],
            statuses: DEFAULT_STATUSES.iter().map(|s| s.to_string()).collect(),
            round: 1,
            closed: false,
            cancelled: false,
        }
    }

    fn codes(list: &[&Member]) -> Vec<String> {
        list.iter().map(|m| m.code.to_string()).collect()
    }

    #[test]
    fn a_broadcast_reaches_the_chosen_organisations_and_those_below_only() {
        let tree = sample();
        let all = members();
        let id = RollcallId::from_uuid(uuid::Uuid::nil());
        let plan = plan(
            id,
            &tree,
            &all,
            &[code("soumu.bousai"), code("soumu.kikaku")],
            "地震",
            Mode::Drill,
            &[],
        )
        .unwrap();
        assert_eq!(codes(&plan.recipients), ["b", "c"]);
        assert_eq!(codes(&plan.without_mail), ["e"]);
        let RollcallEvent::Started { statuses, mode, .. } = &plan.event else {
            panic!()
        };
        assert_eq!(statuses.len(), 4);
        assert_eq!(*mode, Mode::Drill);
        let whole =
            super::plan(id, &tree, &all, &[code("soumu")], "地震", Mode::Actual, &[]).unwrap();
        assert_eq!(codes(&whole.recipients), ["a", "b", "c"]);
    }

    #[test]
    fn a_broadcast_without_title_organisation_or_reachable_member_is_refused() {
        let tree = sample();
        let all = members();
        let id = RollcallId::from_uuid(uuid::Uuid::nil());
        let fields = |r: Refusal| r.field.clone();
        assert_eq!(
            fields(plan(id, &tree, &all, &[code("soumu")], " ", Mode::Actual, &[]).unwrap_err()),
            "rollcall_title"
        );
        assert_eq!(
            fields(plan(id, &tree, &all, &[], "t", Mode::Actual, &[]).unwrap_err()),
            "rollcall_orgs"
        );
        let unknown = plan(id, &tree, &all, &[code("zz")], "t", Mode::Actual, &[]).unwrap_err();
        assert!(unknown.message.contains("zz"));
        let nobody = plan(
            id,
            &tree,
            &all[4..],
            &[code("soumu")],
            "t",
            Mode::Actual,
            &[],
        )
        .unwrap_err();
        assert!(nobody.message.contains("メールアドレス"), "{nobody}");
        let statuses = ["出社可".to_string(), "出社可".to_string()];
        assert_eq!(
            fields(
                plan(
                    id,
                    &tree,
                    &all,
                    &[code("soumu")],
                    "t",
                    Mode::Actual,
                    &statuses
                )
                .unwrap_err()
            ),
            "statuses"
        );
    }

    #[test]
    fn opening_counts_once_a_round_and_a_closed_link_says_only_that() {
        let m = MemberCode::parse("a").unwrap();
        let first = decide_open(&call(), &m, RecipientState::default()).unwrap();
        assert!(matches!(
            first,
            Some(RollcallEvent::LinkOpened { round: 1, .. })
        ));
        let again = decide_open(
            &call(),
            &m,
            RecipientState {
                opened: true,
                last_answer_proxy: None,
            },
        );
        assert_eq!(again, Ok(None));
        let closed = RollCall {
            closed: true,
            ..call()
        };
        let refused = decide_open(&closed, &m, RecipientState::default()).unwrap_err();
        assert_eq!(refused, link_refused());
        assert_eq!(
            decide_answer(&closed, &m, "無事", "", None).unwrap_err(),
            link_refused()
        );
    }

    #[test]
    fn answers_are_checked_against_the_offered_statuses_and_proxies_are_marked() {
        let m = MemberCode::parse("a").unwrap();
        let wrong = decide_answer(&call(), &m, "元気", "", None).unwrap_err();
        assert_eq!(wrong.field, "status");
        assert!(wrong.message.contains("無事・軽傷・重傷・その他"));
        let proxy = AccountId::parse("bousai1").unwrap();
        let event =
            decide_answer(&call(), &m, " 軽傷 ", " 足を捻挫 ", Some(proxy.clone())).unwrap();
        assert_eq!(
            event,
            RollcallEvent::Answered {
                rollcall: call().id,
                round: 1,
                member: m.clone(),
                status: "軽傷".into(),
                comment: "足を捻挫".into(),
                proxy: Some(proxy),
            }
        );
        assert!(decide_answer(&call(), &m, "無事", "\u{202E}", None).is_err());
    }

    #[test]
    fn resend_goes_to_the_unconfirmed_only() {
        let (a, b, c, d) = (
            MemberCode::parse("a").unwrap(),
            MemberCode::parse("b").unwrap(),
            MemberCode::parse("c").unwrap(),
            MemberCode::parse("d").unwrap(),
        );
        let states = [
            (
                &a,
                RecipientState {
                    opened: false,
                    last_answer_proxy: None,
                },
            ),
            (
                &b,
                RecipientState {
                    opened: true,
                    last_answer_proxy: None,
                },
            ),
            (
                &c,
                RecipientState {
                    opened: true,
                    last_answer_proxy: Some(false),
                },
            ),
            (
                &d,
                RecipientState {
                    opened: false,
                    last_answer_proxy: Some(true),
                },
            ),
        ];
        let RollcallEvent::Resent { members, .. } = decide_resend(&call(), states).unwrap() else {
            panic!()
        };
        assert_eq!(members, [a.clone(), b.clone()]);
        let done = [(
            &c,
            RecipientState {
                opened: true,
                last_answer_proxy: Some(false),
            },
        )];
        assert!(decide_resend(&call(), done).is_err());
        assert_eq!(states[3].1.progress(), Progress::Proxy);
        assert_eq!(states[0].1.progress(), Progress::NotOpened);
    }

    #[test]
    fn clear_starts_a_new_round_and_close_ends_the_roll_call() {
        assert_eq!(
            decide_clear(&call()).unwrap(),
            RollcallEvent::Cleared {
                rollcall: call().id,
                round: 2
            }
        );
        let closed = RollCall {
            closed: true,
            ..call()
        };
        assert!(decide_clear(&closed).is_err());
        assert!(decide_close(&call()).is_ok());
        assert!(decide_close(&closed).is_err());
    }

    // R: K-08 — a withdrawn roll-call says so when its link opens, and takes no answer,
    // resend or clear; it is withdrawn once.
    #[test]
    fn a_cancelled_roll_call_opens_without_counting_and_takes_nothing_more() {
        let m = MemberCode::parse("a").unwrap();
        let event = decide_cancel(&call(), " 地震情報が取り消されました ").unwrap();
        assert_eq!(
            event,
            RollcallEvent::Cancelled {
                rollcall: call().id,
                reason: "地震情報が取り消されました".into(),
            }
        );
        assert_eq!(decide_cancel(&call(), "  ").unwrap_err().field, "reason");
        let cancelled = RollCall {
            cancelled: true,
            ..call()
        };
        assert_eq!(
            decide_open(&cancelled, &m, RecipientState::default()),
            Ok(None)
        );
        let refused = decide_answer(&cancelled, &m, "無事", "", None).unwrap_err();
        assert!(matches!(refused, Refusal::Conflict(_)), "{refused:?}");
        assert!(refused.message.contains("取り消されました"));
        let proxy = AccountId::parse("bousai1").unwrap();
        assert!(decide_answer(&cancelled, &m, "無事", "", Some(proxy)).is_err());
        assert!(decide_resend(&cancelled, [(&m, RecipientState::default())]).is_err());
        assert!(decide_clear(&cancelled).is_err());
        assert!(decide_cancel(&cancelled, "again").is_err());
        // Closing stays possible: the links then expire.
        assert!(decide_close(&cancelled).is_ok());
        let closed = RollCall {
            closed: true,
            ..call()
        };
        assert!(decide_cancel(&closed, "取消").is_ok());
    }

    #[test]
    fn the_tally_counts_each_organisation_with_those_below_it() {
        let tree = sample();
        let all = members();
        let rows = vec![
            MemberRow {
                member: &all[0],
                progress: Progress::Answered,
                status: Some("無事"),
            },
            MemberRow {
                member: &all[1],
                progress: Progress::NotOpened,
                status: None,
            },
            MemberRow {
                member: &all[2],
                progress: Progress::Proxy,
                status: Some("軽傷"),
            },
        ];
        let (whole, per_org) = tally(&tree, &rows);
        assert_eq!(whole.total, 3);
        assert_eq!(whole.statuses["無事"], 1);
        let get = |c: &str| {
            per_org
                .iter()
                .find(|(o, _)| o.as_str() == c)
                .map(|(_, n)| n.clone())
        };
        assert_eq!(get("soumu").unwrap().total, 3);
        assert_eq!(get("soumu.bousai").unwrap().statuses["軽傷"], 1);
        assert_eq!(get("soumu.bousai").unwrap().progress[&Progress::Proxy], 1);
        assert!(get("kensetsu").is_none(), "no recipients there");
    }
}
