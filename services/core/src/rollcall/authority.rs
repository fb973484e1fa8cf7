//! Who may do what in roll-call (K-04, source pages 02, 05, 12, 13):
//!
//! | | system administrator | function administrator (機能管理者) | disaster-prevention administrator (防災管理者) |
//! |---|---|---|---|
//! | mail server settings, URLs (システム管理) | yes | — | — |
//! | appoint function administrators | yes | — | — |
//! | appoint disaster-prevention administrators | yes | yes | — |
//! | organisations and members (import, export) | yes | yes | see only their organisations' members |
//! | mail templates | yes | yes | — |
//! | send, resend, clear, close, proxy answers, dashboard | every organisation | every organisation | only the organisations assigned and those below them |
//! | disaster information: emergency contacts, links, evacuation routes, bulletin board posts (K-07, pages 08, 09, 11) | yes | yes | yes (the whole organisation's pages) |
//!
//! The system administrator is the node's administrator account (`Role::Administrator`);
//! the other two are roll-call roles given to node accounts. An account with neither
//! has no roll-call authority at all.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::member::Member;
use super::org::{OrgCode, OrgTree};
use crate::account::Role;

/// A roll-call role given to a node account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum RollcallRole {
    /// 機能管理者: every organisation; may appoint disaster-prevention administrators.
    Function,
    /// 防災管理者: only `orgs` and the organisations below them.
    DisasterPrevention { orgs: Vec<OrgCode> },
}

impl RollcallRole {
    pub fn label(&self) -> &'static str {
        match self {
            RollcallRole::Function => "機能管理者",
            RollcallRole::DisasterPrevention { .. } => "防災管理者",
        }
    }
}

/// What an account may do in roll-call, resolved once per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// The node's administrator: everything.
    System,
    /// 機能管理者.
    Function,
    /// 防災管理者 of these organisations (as assigned; their descendants included).
    DisasterPrevention(BTreeSet<OrgCode>),
    /// No roll-call role.
    None,
}

/// Why an action is refused, in Japanese.
pub type Denied = String;

impl Authority {
    /// The authority of an account with node role `role` and roll-call role `assigned`.
    pub fn of(role: Role, assigned: Option<&RollcallRole>) -> Authority {
        if role == Role::Administrator {
            return Authority::System;
        }
        match assigned {
            Some(RollcallRole::Function) => Authority::Function,
            Some(RollcallRole::DisasterPrevention { orgs }) => {
                Authority::DisasterPrevention(orgs.iter().cloned().collect())
            }
            None => Authority::None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Authority::System => "システム管理者",
            Authority::Function => "機能管理者",
            Authority::DisasterPrevention(_) => "防災管理者",
            Authority::None => "権限なし",
        }
    }

    fn is_all(&self) -> bool {
        matches!(self, Authority::System | Authority::Function)
    }

    /// Any roll-call screen or command at all.
    pub fn may_use(&self) -> Result<(), Denied> {
        match self {
            Authority::None => Err(
                "安否確認の権限がありません（システム管理者・機能管理者・防災管理者のみ操作できます）"
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    /// The mail server settings and the access URLs (システム管理).
    pub fn may_set_mail_server(&self) -> Result<(), Denied> {
        match self {
            Authority::System => Ok(()),
            _ => Err("配信メールサーバーとURLの設定はシステム管理者だけが変更できます".into()),
        }
    }

    /// Organisations and members: import, change, remove.
    pub fn may_manage_directory(&self) -> Result<(), Denied> {
        if self.is_all() {
            Ok(())
        } else {
            Err("組織と職員の登録はシステム管理者と機能管理者だけが行えます".into())
        }
    }

    /// The four mail templates.
    pub fn may_edit_templates(&self) -> Result<(), Denied> {
        if self.is_all() {
            Ok(())
        } else {
            Err("配信メールの内容はシステム管理者と機能管理者だけが変更できます".into())
        }
    }

    /// The disaster information pages (K-07): the emergency contacts and links (source
    /// page 08: 防災管理者 edit them), the evacuation routes (page 09) and the bulletin
    /// board (page 11: function and disaster-prevention administrators post). The pages
    /// are the whole organisation's, so a disaster-prevention administrator edits them
    /// whatever organisations are theirs.
    pub fn may_edit_info(&self) -> Result<(), Denied> {
        match self {
            Authority::System | Authority::Function | Authority::DisasterPrevention(_) => Ok(()),
            Authority::None => Err(
                "災害情報の編集とお知らせの投稿は、システム管理者・機能管理者・防災管理者だけが行えます"
                    .into(),
            ),
        }
    }

    /// Appointing (or removing) `role`.
    pub fn may_appoint(&self, role: Option<&RollcallRole>) -> Result<(), Denied> {
        match (self, role) {
            (Authority::System, _) => Ok(()),
            (Authority::Function, Some(RollcallRole::DisasterPrevention { .. })) => Ok(()),
            (Authority::Function, _) => {
                Err("機能管理者の設定・解除はシステム管理者だけが行えます".into())
            }
            _ => Err("管理者の設定はシステム管理者と機能管理者だけが行えます".into()),
        }
    }

    /// The organisations this authority covers, descendants included; `None`: all.
    pub fn scope(&self, tree: &OrgTree) -> Option<BTreeSet<OrgCode>> {
        match self {
            Authority::System | Authority::Function => None,
            Authority::DisasterPrevention(orgs) => Some(tree.with_descendants(orgs)),
            Authority::None => Some(BTreeSet::new()),
        }
    }

    /// Sending to (or acting on a roll-call of) `chosen` organisations: a
    /// disaster-prevention administrator only within theirs (K-04, page 12).
    pub fn may_act_on(&self, tree: &OrgTree, chosen: &[OrgCode]) -> Result<(), Denied> {
        self.may_use()?;
        let Some(scope) = self.scope(tree) else {
            return Ok(());
        };
        match chosen.iter().find(|code| !scope.contains(*code)) {
            None => Ok(()),
            Some(code) => Err(format!(
                "組織「{}」は担当外です（防災管理者は担当組織とその下位組織だけを操作できます）",
                tree.get(code).map_or(code.as_str(), |o| o.name.as_str())
            )),
        }
    }

    /// Whether this authority sees `member` (their contacts, answers).
    pub fn sees(&self, tree: &OrgTree, member: &Member) -> bool {
        match self.scope(tree) {
            None => true,
            Some(scope) => member.belongs_to_any(&scope),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollcall::org::tests::{code, sample};

    fn member(orgs: &[&str]) -> Member {
        Member {
            code: crate::rollcall::MemberCode::parse("m1").unwrap(),
            name: "職員".into(),
            orgs: orgs.iter().map(|o| code(o)).collect(),
            mails: vec![],
        }
    }

    #[test]
    fn the_node_administrator_is_the_system_administrator() {
        assert_eq!(Authority::of(Role::Administrator, None), Authority::System);
        assert_eq!(Authority::of(Role::Input, None), Authority::None);
        assert_eq!(
            Authority::of(Role::Organise, Some(&RollcallRole::Function)),
            Authority::Function
        );
        assert!(Authority::None.may_use().is_err());
    }

    #[test]
    fn a_disaster_prevention_administrator_acts_only_within_their_organisations() {
        let tree = sample();
        let dp = Authority::of(
            Role::Input,
            Some(&RollcallRole::DisasterPrevention {
                orgs: vec![code("soumu.bousai")],
            }),
        );
        assert!(dp.may_act_on(&tree, &[code("soumu.bousai")]).is_ok());
        assert!(
            dp.may_act_on(&tree, &[code("soumu.bousai.1")]).is_ok(),
            "below theirs"
        );
        let denied = dp
            .may_act_on(&tree, &[code("soumu.bousai"), code("kensetsu")])
            .unwrap_err();
        assert!(denied.contains("建設部"), "{denied}");
        assert!(
            dp.may_act_on(&tree, &[code("soumu")]).is_err(),
            "not above theirs"
        );
        assert!(dp.sees(&tree, &member(&["soumu.bousai.1"])));
        assert!(!dp.sees(&tree, &member(&["soumu.kikaku"])));
        assert!(
            Authority::Function
                .may_act_on(&tree, &[code("kensetsu")])
                .is_ok()
        );
        assert!(Authority::None.may_act_on(&tree, &[]).is_err());
    }

    #[test]
    fn appointments_and_settings_follow_the_table() {
        let dp_role = RollcallRole::DisasterPrevention {
            orgs: vec![code("soumu")],
        };
        assert!(Authority::Function.may_appoint(Some(&dp_role)).is_ok());
        assert!(
            Authority::Function
                .may_appoint(Some(&RollcallRole::Function))
                .is_err()
        );
        assert!(
            Authority::System
                .may_appoint(Some(&RollcallRole::Function))
                .is_ok()
        );
        let dp = Authority::DisasterPrevention(BTreeSet::from([code("soumu")]));
        assert!(dp.may_appoint(Some(&dp_role)).is_err());
        assert!(Authority::Function.may_set_mail_server().is_err());
        assert!(Authority::System.may_set_mail_server().is_ok());
        assert!(dp.may_edit_templates().is_err());
        assert!(dp.may_manage_directory().is_err());
        assert!(Authority::Function.may_manage_directory().is_ok());
        // K-07: every roll-call administrator edits the disaster information pages.
        assert!(dp.may_edit_info().is_ok());
        assert!(Authority::Function.may_edit_info().is_ok());
        assert!(Authority::System.may_edit_info().is_ok());
        assert!(Authority::None.may_edit_info().is_err());
    }
}
