//! What every console page shows around its content (issue 15): the node, the user and
//! role, the chosen incident and its mode (a drill in a banner that cannot be missed,
//! T-04), the menu of what this role may do here, and a message left by the last POST.

use anpi_core::account::{self, Operation};
use anpi_core::incident::{Incident, IncidentMode};

use super::{Clerk, Console};

/// One menu entry.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The chosen incident as the header shows it.
pub struct IncidentBadge {
    pub name: String,
    pub mode_label: &'static str,
    pub drill: bool,
}

pub struct Frame {
    pub node: String,
    pub user: String,
    pub role: &'static str,
    pub incident: Option<IncidentBadge>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub notice: Option<String>,
}

/// The menu: (path, label, the operation it needs).
const MENU: [(&str, &str, Operation); 16] = [
    ("/", "事案の選択", Operation::ListIncidents),
    ("/entry/form1", "様式第1号の入力", Operation::RecordEntry),
    ("/entry/form2", "様式第2号の入力", Operation::RecordEntry),
    ("/import", "CSV取込", Operation::RecordEntry),
    ("/organise", "重複検索・報告", Operation::Organise),
    ("/reports", "報告履歴", Operation::ReportHistory),
    ("/intake", "受付停止・再開", Operation::GetIntake),
    ("/search", "検索", Operation::Search),
    ("/rollcall", "安否確認", Operation::Rollcall),
    ("/inquiries", "照会・回答", Operation::Inquiry),
    ("/publication", "公表一覧", Operation::Organise),
    ("/shared", "共用領域", Operation::SharedStatus),
    ("/audit", "監査", Operation::ReadEvents),
    ("/accounts", "ユーザーID管理", Operation::ManageAccounts),
    ("/trust", "鍵・無効化", Operation::ManageTrust),
    ("/retention", "保存期間・消去", Operation::Retention),
];

impl Frame {
    /// The frame of a page at `path` for `clerk`; `incidents` are the node's (to name
    /// the chosen one).
    pub fn new(state: &Console, clerk: &Clerk, path: &str, incidents: &[Incident]) -> Frame {
        let config = &state.node.config;
        let tier = config.tier;
        let node = match &config.name {
            Some(name) => format!("{name}（{}・{}）", config.jurisdiction, tier.label_ja()),
            None => format!("{}（{}）", config.jurisdiction, tier.label_ja()),
        };
        let incident = clerk
            .console
            .incident
            .and_then(|id| incidents.iter().find(|i| i.id == id))
            .map(|i| IncidentBadge {
                name: i.name.clone(),
                mode_label: i.mode.label_ja(),
                drill: i.mode == IncidentMode::Drill,
            });
        // until the password is changed, no other page opens: no menu either.
        let forced = account::must_change_message(clerk.session.state).is_some();
        let nav = MENU
            .iter()
            .filter(|_| !forced)
            .filter(|(_, _, operation)| account::permits(clerk.session.role, *operation, tier))
            .map(|(href, label, _)| NavItem {
                href,
                label,
                current: *href == path || (path.starts_with(href) && *href != "/"),
            })
            .collect();
        Frame {
            node,
            user: clerk.session.account.to_string(),
            role: clerk.session.role.long_label_ja(),
            incident,
            csrf: clerk.console.csrf.clone(),
            nav,
            notice: state.sessions.take_notice(&clerk.id),
        }
    }
}
