//! 安否確認 (roll-call) administration in the console (K-01..K-04, K-06; source
//! document `000_fc4f8c7d0442128d.txt` pages 02–05, 10, 12, 13): the roll-calls and the
//! send form (`calls`), one roll-call's dashboard, its actions and a member's answer
//! history (`dashboard`), the Form 1 drafts of the answers (`drafts`, K-08), the
//! organisations and members with their CSV files (`directory`), the members' emergency
//! contacts (`contacts`, K-05), the disaster information pages (`info`, K-07), the mail server settings and the administrators (`settings`), and the
//! four mails (`templates`). Every page calls the use cases of `app::rollcall`; the
//! member's own answer page is `crate::rollcall_page` on the public listener.
//!
//! URLs carry roll-call IDs, organisation and member codes and the dashboard's filters,
//! never a name or an address.

pub mod calls;
pub mod contacts;
pub mod dashboard;
pub mod directory;
pub mod drafts;
pub mod info;
pub mod settings;
pub mod templates;

use anpi_core::rollcall::{Authority, OrgCode, OrgTree};
use anpi_core::validation::FieldError;
use anpi_files::MAX_FILE_BYTES;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Response;

use crate::app::rollcall::RollcallCaller;
use crate::console::forms::ShownError;
use crate::console::{Clerk, FormErrors, Frame, Shared, fail};

/// The routes of the roll-call screens.
pub fn routes() -> Router<Shared> {
    use axum::routing::{get, post};
    let upload_limit = DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024);
    Router::new()
        .route("/rollcall", get(calls::page).post(calls::start))
        .route("/rollcall/directory", get(directory::page))
        .route(
            "/rollcall/directory/orgs",
            post(directory::upload_orgs).layer(upload_limit),
        )
        .route(
            "/rollcall/directory/members",
            post(directory::upload_members).layer(upload_limit),
        )
        .route(
            "/rollcall/directory/orgs.csv",
            get(directory::download_orgs),
        )
        .route(
            "/rollcall/directory/members.csv",
            get(directory::download_members),
        )
        .route(
            "/rollcall/settings",
            get(settings::page).post(settings::submit),
        )
        .route("/rollcall/roles", post(settings::assign))
        .route(
            "/rollcall/templates",
            get(templates::page).post(templates::submit),
        )
        // K-05: the members' emergency contacts.
        .route("/rollcall/contacts", get(contacts::page))
        .route(
            "/rollcall/contacts/import",
            post(contacts::import).layer(upload_limit),
        )
        .route("/rollcall/contacts/request", post(contacts::request))
        .route("/rollcall/contacts/check", post(contacts::check))
        .route(
            "/rollcall/contacts/missing.csv",
            get(contacts::download_missing),
        )
        .route("/rollcall/contacts/all.csv", get(contacts::download_all))
        .route(
            "/rollcall/contacts/checks.csv",
            get(contacts::download_checks),
        )
        .route(
            "/rollcall/contacts/{code}",
            get(contacts::edit).post(contacts::save),
        )
        // K-07: the disaster information pages.
        .route("/rollcall/info", get(info::page).post(info::save_info))
        .route("/rollcall/info/routes", post(info::add_route))
        .route(
            "/rollcall/info/routes/{id}/remove",
            post(info::remove_route),
        )
        .route("/rollcall/info/notices", post(info::post_notice))
        .route(
            "/rollcall/info/notices/{id}/withdraw",
            post(info::withdraw_notice),
        )
        .route("/rollcall/{id}", get(dashboard::page))
        .route("/rollcall/{id}/resend", post(dashboard::resend))
        .route("/rollcall/{id}/clear", post(dashboard::clear))
        .route("/rollcall/{id}/close", post(dashboard::close))
        .route("/rollcall/{id}/proxy", post(dashboard::proxy))
        .route("/rollcall/{id}/members/{code}", get(dashboard::history))
        .route("/rollcall/{id}/drafts", get(drafts::page))
        .route(
            "/rollcall/{id}/drafts/{code}",
            get(crate::console::pages::entry::rollcall_draft_page),
        )
}

/// The frame of a roll-call page (the menu entry 安否確認 is marked current).
async fn frame(state: &Shared, clerk: &Clerk) -> Frame {
    // The header names the chosen incident; without the list it says none is chosen.
    let incidents = state
        .node
        .list_incidents(&clerk.session)
        .await
        .unwrap_or_default();
    Frame::new(state, clerk, "/rollcall", &incidents)
}

/// The clerk's roll-call authority and the organisation tree, or the page that says
/// why there is none.
async fn caller(state: &Shared, clerk: &Clerk) -> Result<RollcallCaller, Response> {
    state
        .node
        .rollcall_caller(&clerk.session)
        .await
        .map_err(fail)
}

/// One organisation as a choice (a checkbox indented by its depth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgOption {
    pub code: String,
    pub name: String,
    pub path: String,
    /// 0 for a top organisation; the CSS class `depth-N` indents it (at most 5).
    pub depth: usize,
    /// Organisations below it (a choice includes them).
    pub below: usize,
    pub checked: bool,
}

impl OrgOption {
    /// A value safe in an `id` attribute (codes hold only `[A-Za-z0-9._-]`).
    pub fn dom_id(&self) -> String {
        self.code.replace('.', "_")
    }

    /// The indentation class.
    pub fn depth_class(&self) -> String {
        format!("depth-{}", self.depth.min(5))
    }
}

/// The organisations of `tree` in tree order that `authority` may choose (a
/// disaster-prevention administrator: theirs and those below), `checked` ticked.
pub fn org_options(tree: &OrgTree, authority: &Authority, checked: &[String]) -> Vec<OrgOption> {
    let scope = authority.scope(tree);
    tree.in_order()
        .into_iter()
        .filter(|org| scope.as_ref().is_none_or(|s| s.contains(&org.code)))
        .map(|org| OrgOption {
            code: org.code.to_string(),
            name: org.name.clone(),
            path: tree.path(&org.code),
            depth: tree.depth(&org.code),
            below: tree.with_descendants([&org.code]).len() - 1,
            checked: checked.iter().any(|c| c == org.code.as_str()),
        })
        .collect()
}

/// The options split into blocks, each a top organisation with those below it (the
/// page lays the blocks side by side without breaking one).
pub fn grouped(options: Vec<OrgOption>) -> Vec<Vec<OrgOption>> {
    let top = options.iter().map(|o| o.depth).min().unwrap_or(0);
    let mut groups: Vec<Vec<OrgOption>> = Vec::new();
    for option in options {
        match groups.last_mut() {
            Some(group) if option.depth > top => group.push(option),
            _ => groups.push(vec![option]),
        }
    }
    groups
}

/// What a disaster-prevention administrator is told about their scope (`None` for
/// the others).
pub fn scope_note(tree: &OrgTree, authority: &Authority) -> Option<String> {
    match authority {
        Authority::DisasterPrevention(orgs) => {
            let names: Vec<String> = orgs.iter().map(|o| tree.path(o)).collect();
            Some(format!(
                "防災管理者として、担当組織（{}）とその下位組織だけを表示・操作できます。",
                names.join("、")
            ))
        }
        _ => None,
    }
}

/// The organisation codes ticked in a form (`name` repeated), each checked; the
/// problems are reported under `field`.
pub fn ticked_orgs(
    pairs: &[(String, String)],
    name: &str,
    field: &str,
    label: &str,
) -> (Vec<OrgCode>, Vec<FieldError>) {
    let mut codes = Vec::new();
    let mut errors = Vec::new();
    for (_, value) in pairs.iter().filter(|(key, _)| key == name) {
        match OrgCode::parse(value) {
            Ok(code) if !codes.contains(&code) => codes.push(code),
            Ok(_) => {}
            Err(mut error) => {
                error.field = field.into();
                error.label = label.into();
                errors.push(error);
            }
        }
    }
    (codes, errors)
}

/// The value of `name` in a form (empty when not sent).
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// Every value of `name` in a form.
pub fn values(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .collect()
}

/// A field problem with the label this page gives the field.
pub fn problem(field: &str, label: &str, message: impl Into<String>) -> FieldError {
    let mut error = FieldError::new(field, message);
    error.label = label.into();
    error
}

/// Field problems as the page lists them, with `prefix` before each field's name
/// (several forms of one page keep their ids apart).
pub fn shown(errors: &[FieldError], prefix: &str) -> FormErrors {
    FormErrors {
        list: errors
            .iter()
            .map(|e| ShownError {
                field: format!("{prefix}{}", e.field),
                label: e.label.clone(),
                message: e.message.clone(),
            })
            .collect(),
    }
}

/// A query string (`a=1&b=2`) with every value encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// RFC 5987 percent-encoding of a UTF-8 file name for `Content-Disposition`.
pub fn encode_file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The date of `now` in Japan time as `YYYYMMDD` (file names).
pub fn today_jst(now: chrono::DateTime<chrono::Utc>) -> String {
    now.with_timezone(&anpi_core::entry::jst_offset())
        .format("%Y%m%d")
        .to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use anpi_core::rollcall::{OrgTree, Organisation};

    use super::*;
    use crate::console::frame::{IncidentBadge, NavItem};

    pub(crate) fn frame() -> Frame {
        Frame {
            node: "千代田区（市町村）".into(),
            user: "admin".into(),
            role: "管理者",
            incident: Some(IncidentBadge {
                name: "訓練事案".into(),
                mode_label: "訓練",
                drill: true,
            }),
            csrf: "token123".into(),
            nav: vec![NavItem {
                href: "/rollcall",
                label: "安否確認",
                current: true,
            }],
            notice: None,
        }
    }

    pub(crate) fn tree() -> OrgTree {
        let org = |code: &str, name: &str, parent: &str| {
            Organisation::parse(code, name, parent).expect("a sample organisation")
        };
        OrgTree::new([
            org("soumu", "総務部", ""),
            org("soumu.bousai", "防災課", "soumu"),
            org("soumu.bousai.1", "第一係", "soumu.bousai"),
            org("kensetsu", "建設部", ""),
        ])
        .expect("a sample tree")
    }

    #[test]
    fn options_follow_the_tree_and_the_scope_of_a_disaster_prevention_administrator() {
        let tree = tree();
        let all = org_options(&tree, &Authority::System, &["soumu.bousai".into()]);
        let codes: Vec<&str> = all.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(
            codes,
            ["kensetsu", "soumu", "soumu.bousai", "soumu.bousai.1"]
        );
        assert_eq!(all[2].depth, 1);
        assert_eq!(all[2].below, 1);
        assert!(all[2].checked && !all[1].checked);
        assert_eq!(all[3].dom_id(), "soumu_bousai_1");
        assert_eq!(all[3].depth_class(), "depth-2");
        let groups = grouped(all.clone());
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[1].len(), 3, "総務部 with its section and team");
        let dp = Authority::DisasterPrevention([OrgCode::parse("soumu.bousai").unwrap()].into());
        let mine: Vec<String> = org_options(&tree, &dp, &[])
            .into_iter()
            .map(|o| o.code)
            .collect();
        assert_eq!(mine, ["soumu.bousai", "soumu.bousai.1"]);
        assert!(scope_note(&tree, &dp).unwrap().contains("総務部 / 防災課"));
        assert!(scope_note(&tree, &Authority::Function).is_none());
    }

    #[test]
    fn ticked_codes_are_checked_and_queries_and_file_names_encoded() {
        let pairs = vec![
            ("org".to_string(), "soumu".to_string()),
            ("org".to_string(), "soumu".to_string()),
            ("org".to_string(), "総務".to_string()),
            ("title".to_string(), "地震".to_string()),
        ];
        let (codes, errors) = ticked_orgs(&pairs, "org", "rollcall_orgs", "配信先の組織");
        assert_eq!(codes.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "rollcall_orgs");
        assert_eq!(value(&pairs, "title"), "地震");
        assert_eq!(value(&pairs, "none"), "");
        assert_eq!(values(&pairs, "org").len(), 3);
        assert_eq!(
            query(&[("status", "無事"), ("org", "a.b")]),
            "status=%E7%84%A1%E4%BA%8B&org=a.b"
        );
        assert_eq!(encode_file_name("組織 a.csv"), "%E7%B5%84%E7%B9%94%20a.csv");
        let shown = shown(&[problem("template_body", "本文", "誤り")], "safety-");
        assert!(shown.has("safety-template_body"));
    }
}
