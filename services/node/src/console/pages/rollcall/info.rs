//! `/rollcall/info`: the disaster information members see from their roll-call link
//! (災害情報, K-07; source pages 08, 09, 11), edited by the roll-call administrators:
//! - the bulletin board (お知らせ掲示板): a post form and every post, newest first, with
//!   who posted it when; a post is withdrawn with a reason (`/rollcall/info/notices`,
//!   `/rollcall/info/notices/{id}/withdraw`) and stays in the list marked 取り下げ;
//! - the organisation's emergency contacts and links, one form of rows (blank rows are
//!   skipped, so clearing a row removes it; three empty rows for new ones);
//! - the evacuation routes: the list with the link each opens on its map service, an
//!   add form and a remove button per route (`/rollcall/info/routes`,
//!   `/rollcall/info/routes/{id}/remove`).
//!
//! A refused form shows the page again with what was typed and each problem beside its
//! field. URLs carry only route and post numbers.

use anpi_core::rollcall::info::{
    ContactInput, InfoInput, LinkInput, MapService, NoticeDraft, RouteInput,
};
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{frame, shown, values};
use crate::app::AppError;
use crate::app::rollcall_info::InfoAdmin;
use crate::console::{Clerk, FormErrors, Frame, Posted, Shared, fail, jst, redirect_with, render};

/// Empty rows the contacts and links form offers for new entries.
pub const EMPTY_ROWS: usize = 3;

/// One contact row of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub index: usize,
    pub name: String,
    pub phone: String,
    pub note: String,
}

/// One link row of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub index: usize,
    pub title: String,
    pub url: String,
}

/// The field name of a row (`contact_phone.2`): the name the domain's problems carry.
pub fn row_field(name: &str, index: usize) -> String {
    format!("{name}.{index}")
}

impl ContactRow {
    pub fn f(&self, name: &str) -> String {
        row_field(name, self.index)
    }

    /// The row number as clerks count (1-based).
    pub fn number(&self) -> usize {
        self.index + 1
    }
}

impl LinkRow {
    pub fn f(&self, name: &str) -> String {
        row_field(name, self.index)
    }

    pub fn number(&self) -> usize {
        self.index + 1
    }
}

/// One evacuation route as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    pub id: u32,
    pub name: String,
    pub map: &'static str,
    pub origin: String,
    pub destination: String,
    pub url: String,
}

/// When, by whom and why a post was withdrawn, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    pub at: String,
    pub by: String,
    pub reason: String,
}

/// One post as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeItem {
    pub id: u32,
    pub title: String,
    pub body: String,
    pub posted_at: String,
    pub posted_by: String,
    pub withdrawn: Option<Withdrawn>,
    /// The reason typed into its withdraw form (kept after a refusal).
    pub reason: String,
}

impl NoticeItem {
    /// The withdraw form's field (`withdraw_reason.3`).
    pub fn reason_field(&self) -> String {
        row_field("withdraw_reason", self.id as usize)
    }
}

/// What the forms hold after a refused POST.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub info: Option<InfoInput>,
    pub route: RouteInput,
    pub notice: NoticeDraft,
    /// The post being withdrawn and the reason typed.
    pub withdraw: Option<(u32, String)>,
}

#[derive(Template)]
#[template(path = "console/rollcall_info.html")]
pub struct InfoPage {
    pub frame: Frame,
    pub can_edit: bool,
    pub contacts: Vec<ContactRow>,
    pub links: Vec<LinkRow>,
    pub saved: Option<String>,
    pub routes: Vec<RouteRow>,
    pub maps: Vec<(&'static str, &'static str)>,
    pub route: RouteInput,
    pub notices: Vec<NoticeItem>,
    pub notice: NoticeDraft,
    pub errors: FormErrors,
}

impl InfoPage {
    pub fn here(&self) -> &'static str {
        "info"
    }

    pub fn live_notices(&self) -> usize {
        self.notices
            .iter()
            .filter(|n| n.withdrawn.is_none())
            .count()
    }
}

/// The page's content from what is stored, with `typed` in place of the stored
/// contacts and links, the route and the post forms.
pub fn build(frame: Frame, admin: InfoAdmin, typed: Typed, errors: &[FieldError]) -> InfoPage {
    let info = typed.info.unwrap_or_else(|| InfoInput {
        contacts: admin
            .info
            .contacts
            .iter()
            .map(|c| ContactInput {
                name: c.name.clone(),
                phone: c.phone.clone(),
                note: c.note.clone(),
            })
            .collect(),
        links: admin
            .info
            .links
            .iter()
            .map(|l| LinkInput {
                title: l.title.clone(),
                url: l.url.clone(),
            })
            .collect(),
    });
    let contacts = info
        .contacts
        .into_iter()
        .chain(std::iter::repeat_with(ContactInput::default).take(EMPTY_ROWS))
        .enumerate()
        .map(|(index, c)| ContactRow {
            index,
            name: c.name,
            phone: c.phone,
            note: c.note,
        })
        .collect();
    let links = info
        .links
        .into_iter()
        .chain(std::iter::repeat_with(LinkInput::default).take(EMPTY_ROWS))
        .enumerate()
        .map(|(index, l)| LinkRow {
            index,
            title: l.title,
            url: l.url,
        })
        .collect();
    let route = if typed.route.map.is_empty() {
        RouteInput {
            map: MapService::Google.as_str().into(),
            ..typed.route
        }
    } else {
        typed.route
    };
    InfoPage {
        frame,
        can_edit: admin.can_edit,
        contacts,
        links,
        saved: admin.saved.map(|(at, by)| format!("{} {by}", jst(at))),
        routes: admin
            .routes
            .iter()
            .map(|r| RouteRow {
                id: r.id,
                name: r.name.clone(),
                map: r.map.label(),
                origin: r.origin.clone(),
                destination: r.destination.clone(),
                url: r.map_url(),
            })
            .collect(),
        maps: MapService::ALL
            .iter()
            .map(|m| (m.as_str(), m.label()))
            .collect(),
        route,
        notices: admin
            .notices
            .into_iter()
            .map(|row| NoticeItem {
                id: row.notice.id,
                reason: match &typed.withdraw {
                    Some((id, reason)) if *id == row.notice.id => reason.clone(),
                    _ => String::new(),
                },
                title: row.notice.title,
                body: row.notice.body,
                posted_at: jst(row.notice.posted_at),
                posted_by: row.notice.posted_by.to_string(),
                withdrawn: row.withdrawn.map(|w| Withdrawn {
                    at: jst(w.at),
                    by: w.by,
                    reason: w.reason,
                }),
            })
            .collect(),
        notice: typed.notice,
        errors: shown(errors, ""),
    }
}

async fn show(state: &Shared, clerk: &Clerk, typed: Typed, errors: Vec<FieldError>) -> Response {
    let admin = match state.node.rollcall_info_admin(&clerk.session).await {
        Ok(admin) => admin,
        Err(error) => return fail(error),
    };
    let refused = !errors.is_empty();
    let page = build(frame(state, clerk).await, admin, typed, &errors);
    let mut response = render(&page);
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /rollcall/info.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show(&state, &clerk, Typed::default(), Vec::new()).await
}

/// The contacts and links form's rows, by position (`contact_name` … repeated).
pub fn info_input(pairs: &[(String, String)]) -> InfoInput {
    let column = |name: &str| values(pairs, name);
    let (names, phones, notes) = (
        column("contact_name"),
        column("contact_phone"),
        column("contact_note"),
    );
    let rows = names.len().max(phones.len()).max(notes.len());
    let at = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
    let contacts = (0..rows)
        .map(|i| ContactInput {
            name: at(&names, i),
            phone: at(&phones, i),
            note: at(&notes, i),
        })
        .collect();
    let (titles, urls) = (column("link_title"), column("link_url"));
    let links = (0..titles.len().max(urls.len()))
        .map(|i| LinkInput {
            title: at(&titles, i),
            url: at(&urls, i),
        })
        .collect();
    InfoInput { contacts, links }
}

/// POST /rollcall/info: the emergency contacts and links.
pub async fn save_info(
    State(state): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    // Rows are kept as sent, blank ones too: the problems name rows by position.
    let input = info_input(&form);
    match state.node.rollcall_save_info(&clerk.session, &input).await {
        Ok(written) => redirect_with(
            &state,
            &clerk,
            "/rollcall/info#info-heading",
            if written.events == 0 {
                "緊急連絡先とリンクに変更はありませんでした。"
            } else {
                "緊急連絡先とリンクを保存しました。職員の災害情報ページに表示されます。"
            },
        ),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed {
                info: Some(input),
                ..Typed::default()
            };
            show(&state, &clerk, typed, errors).await
        }
        Err(error) => fail(error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RouteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    map: String,
    #[serde(default)]
    origin: String,
    #[serde(default)]
    destination: String,
}

/// POST /rollcall/info/routes: a route added.
pub async fn add_route(State(state): State<Shared>, posted: Posted<RouteForm>) -> Response {
    let Posted { clerk, form } = posted;
    let input = RouteInput {
        name: form.name,
        map: form.map,
        origin: form.origin,
        destination: form.destination,
    };
    match state.node.rollcall_add_route(&clerk.session, &input).await {
        Ok(_) => redirect_with(
            &state,
            &clerk,
            "/rollcall/info#routes-heading",
            format!("避難経路「{}」を追加しました。", input.name.trim()),
        ),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed {
                route: input,
                ..Typed::default()
            };
            show(&state, &clerk, typed, errors).await
        }
        Err(error) => fail(error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// POST /rollcall/info/routes/{id}/remove.
pub async fn remove_route(
    State(state): State<Shared>,
    Path(id): Path<u32>,
    posted: Posted<Empty>,
) -> Response {
    let Posted { clerk, .. } = posted;
    match state.node.rollcall_remove_route(&clerk.session, id).await {
        Ok(_) => redirect_with(
            &state,
            &clerk,
            "/rollcall/info#routes-heading",
            "避難経路を削除しました。",
        ),
        Err(error) => fail(error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// POST /rollcall/info/notices: a post.
pub async fn post_notice(State(state): State<Shared>, posted: Posted<NoticeForm>) -> Response {
    let Posted { clerk, form } = posted;
    let draft = NoticeDraft {
        title: form.title,
        body: form.body,
    };
    match state
        .node
        .rollcall_post_notice(&clerk.session, &draft)
        .await
    {
        Ok(_) => redirect_with(
            &state,
            &clerk,
            "/rollcall/info#notices-heading",
            format!(
                "お知らせ「{}」を掲載しました。職員の災害情報ページの先頭に表示されます。",
                draft.title.trim()
            ),
        ),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed {
                notice: draft,
                ..Typed::default()
            };
            show(&state, &clerk, typed, errors).await
        }
        Err(error) => fail(error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// POST /rollcall/info/notices/{id}/withdraw.
pub async fn withdraw_notice(
    State(state): State<Shared>,
    Path(id): Path<u32>,
    posted: Posted<WithdrawForm>,
) -> Response {
    let Posted { clerk, form } = posted;
    match state
        .node
        .rollcall_withdraw_notice(&clerk.session, id, &form.reason)
        .await
    {
        Ok(_) => redirect_with(
            &state,
            &clerk,
            "/rollcall/info#notices-heading",
            "お知らせを取り下げました。職員のページには表示されなくなり、この一覧には残ります。",
        ),
        Err(AppError::Invalid(errors)) => {
            // The problem goes beside this post's reason field.
            let errors = errors
                .into_iter()
                .map(|mut e| {
                    e.field = row_field("withdraw_reason", id as usize);
                    e
                })
                .collect();
            let typed = Typed {
                withdraw: Some((id, form.reason)),
                ..Typed::default()
            };
            show(&state, &clerk, typed, errors).await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use anpi_core::ids::AccountId;
    use anpi_core::rollcall::info::{EmergencyContact, InfoSettings, Notice, Route, UsefulLink};

    use super::super::tests::frame;
    use super::*;
    use crate::store::rollcall_info::{NoticeRow, Withdrawal};

    fn admin() -> InfoAdmin {
        let at =
            |h: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 1, h, 0, 0).unwrap();
        let notice = |id: u32, h: u32| Notice {
            id,
            title: format!("第{id}報"),
            body: "本文\n2行目".into(),
            posted_at: at(h),
            posted_by: AccountId::parse("bousai1").unwrap(),
        };
        InfoAdmin {
            info: InfoSettings {
                contacts: vec![EmergencyContact {
                    name: "災害対策本部".into(),
                    phone: "03-1234-5678".into(),
                    note: String::new(),
                }],
                links: vec![UsefulLink {
                    title: "気象庁".into(),
                    url: "https://www.jma.go.jp/".into(),
                }],
            },
            saved: Some((at(8), "admin".into())),
            routes: vec![Route {
                id: 4,
                name: "第一避難所".into(),
                map: MapService::Google,
                origin: "本庁舎".into(),
                destination: "九段小学校".into(),
            }],
            notices: vec![
                NoticeRow {
                    notice: notice(2, 10),
                    withdrawn: None,
                },
                NoticeRow {
                    notice: notice(1, 9),
                    withdrawn: Some(Withdrawal {
                        at: at(11),
                        by: "admin".into(),
                        reason: "誤記のため".into(),
                    }),
                },
            ],
            can_edit: true,
        }
    }

    #[test]
    fn the_rows_keep_their_numbers_and_the_problems_sit_beside_their_fields() {
        let pairs: Vec<(String, String)> = [
            ("csrf", "x"),
            ("contact_name", "本部"),
            ("contact_phone", "x"),
            ("contact_note", ""),
            ("contact_name", ""),
            ("contact_phone", ""),
            ("contact_note", ""),
            ("link_title", "気象庁"),
            ("link_url", "javascript:alert(1)"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let input = info_input(&pairs);
        assert_eq!(input.contacts.len(), 2);
        assert_eq!(input.links.len(), 1);
        let errors = InfoSettings::parse(&input).unwrap_err();
        let page = build(
            frame(),
            admin(),
            Typed {
                info: Some(input),
                withdraw: Some((2, "理由<>".into())),
                ..Typed::default()
            },
            &errors,
        );
        assert_eq!(page.contacts.len(), 2 + EMPTY_ROWS);
        assert_eq!(page.links.len(), 1 + EMPTY_ROWS);
        let html = page.render().unwrap();
        assert!(html.contains("id=\"err-contact_phone.0\""), "{html}");
        assert!(html.contains("id=\"err-link_url.0\""));
        assert!(html.contains("value=\"javascript:alert(1)\""), "typed kept");
        assert!(
            html.contains("value=\"理由&#60;&#62;\""),
            "reason kept, escaped"
        );
        assert!(!html.contains("style="));
    }

    #[test]
    fn posts_are_listed_with_their_state_and_routes_with_their_map_link() {
        let page = build(frame(), admin(), Typed::default(), &[]);
        assert_eq!(page.live_notices(), 1);
        assert_eq!(page.route.map, "google", "Google マップ is chosen at first");
        let html = page.render().unwrap();
        let second = html.find("第2報").unwrap();
        assert!(
            second < html.find("第1報").unwrap(),
            "newest first, as given"
        );
        assert!(html.contains("誤記のため"));
        assert!(html.contains("id=\"withdraw-2\"") && !html.contains("id=\"withdraw-1\""));
        assert!(html.contains("https://www.google.com/maps/dir/?api=1&#38;origin="));
        assert!(html.contains("action=\"/rollcall/info/routes/4/remove\""));
        assert!(html.contains("value=\"03-1234-5678\""));
        assert!(html.contains("aria-current=\"page\">災害情報"));
    }
}
