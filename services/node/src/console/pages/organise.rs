//! 重複検索・報告 (figure 4-7, 4-8, 4-9; D-04, D-05, R-01, R-05): the node's records,
//! not-yet-reported first, sortable by each column; suspected duplicates (same name and
//! birth date) coloured and numbered; automatic-removal conflicts marked; check-box
//! deletion of unreported records; the operator's merge; and the 報告 button with the
//! number of events it will send, then the report's delivery state.
//!
//! Everything shown comes from the use cases (`app::organise`, `app::reports`,
//! `app::entries`); this page only arranges it. Sorting is of the rows of the page
//! (the app's page of up to [`PAGE`] rows), within the unreported / reported groups.

use std::cmp::Ordering;

use anpi_core::account::{self, Operation};
use anpi_core::era;
use anpi_core::ids::RecordId;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::app::AppError;
use crate::app::organise::{OrganiseRow, OrganiseScreen};
use crate::console::pages::reports::SentView;
use crate::console::{Clerk, FormErrors, Frame, Posted, Shared, fail, jst, redirect_with, render};

/// Rows per page (the app's limit).
pub const PAGE: i32 = 500;

/// A sortable column of figure 4-7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Received,
    Written,
    Name,
    Kana,
    Birth,
    Sex,
    Address,
    State,
    Actor,
}

impl SortKey {
    pub const ALL: [SortKey; 9] = [
        SortKey::Received,
        SortKey::Written,
        SortKey::Name,
        SortKey::Kana,
        SortKey::Birth,
        SortKey::Sex,
        SortKey::Address,
        SortKey::State,
        SortKey::Actor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Received => "received",
            SortKey::Written => "written",
            SortKey::Name => "name",
            SortKey::Kana => "kana",
            SortKey::Birth => "birth",
            SortKey::Sex => "sex",
            SortKey::Address => "address",
            SortKey::State => "state",
            SortKey::Actor => "actor",
        }
    }

    pub fn parse(text: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Received => "受信日時",
            SortKey::Written => "記入日時",
            SortKey::Name => "氏名",
            SortKey::Kana => "フリガナ",
            SortKey::Birth => "生年月日",
            SortKey::Sex => "男女",
            SortKey::Address => "住所",
            SortKey::State => "状態",
            SortKey::Actor => "記入者",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

impl Dir {
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Asc => "asc",
            Dir::Desc => "desc",
        }
    }

    pub fn parse(text: &str) -> Dir {
        if text == "desc" { Dir::Desc } else { Dir::Asc }
    }
}

/// How the table is shown: the sorted column, its direction and the page. Only
/// column names and numbers: nothing personal travels in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub sort: Option<SortKey>,
    pub dir: Dir,
    pub offset: i32,
}

impl Default for View {
    fn default() -> View {
        View {
            sort: None,
            dir: Dir::Asc,
            offset: 0,
        }
    }
}

impl View {
    /// The view named by a query string (`sort=name&dir=desc&offset=500`); anything
    /// unknown is ignored.
    pub fn from_query(query: Option<&str>) -> View {
        let pairs: Vec<(String, String)> = query
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        View::from_pairs(&pairs)
    }

    pub fn from_pairs(pairs: &[(String, String)]) -> View {
        let mut view = View::default();
        for (key, value) in pairs {
            match key.as_str() {
                "sort" => view.sort = SortKey::parse(value),
                "dir" => view.dir = Dir::parse(value),
                "offset" => view.offset = value.parse::<i32>().unwrap_or(0).max(0),
                _ => {}
            }
        }
        view
    }

    /// The page's path with this view.
    pub fn href(&self) -> String {
        let mut parts = Vec::new();
        if let Some(sort) = self.sort {
            parts.push(format!("sort={}&dir={}", sort.as_str(), self.dir.as_str()));
        }
        if self.offset > 0 {
            parts.push(format!("offset={}", self.offset));
        }
        if parts.is_empty() {
            "/organise".into()
        } else {
            format!("/organise?{}", parts.join("&"))
        }
    }
}

/// A column header: a link that sorts by it (the other way when it is already the
/// sorted column), with `aria-sort` on the sorted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
    /// `ascending` / `descending`, or empty when not sorted by it.
    pub aria_sort: &'static str,
    pub mark: &'static str,
}

pub fn headers(view: &View) -> Vec<Header> {
    SortKey::ALL
        .into_iter()
        .map(|key| {
            let current = view.sort == Some(key);
            let next_dir = if current && view.dir == Dir::Asc {
                Dir::Desc
            } else {
                Dir::Asc
            };
            let next = View {
                sort: Some(key),
                dir: next_dir,
                offset: view.offset,
            };
            let (aria_sort, mark) = match (current, view.dir) {
                (true, Dir::Asc) => ("ascending", "▲"),
                (true, Dir::Desc) => ("descending", "▼"),
                (false, _) => ("", "▲▼"),
            };
            Header {
                key: key.as_str(),
                label: key.label(),
                href: next.href(),
                aria_sort,
                mark,
            }
        })
        .collect()
}

/// One row of the table as shown, with the values it sorts by.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub received_at: DateTime<Utc>,
    pub written_at: DateTime<Utc>,
    pub received: String,
    pub written: String,
    pub name: String,
    pub kana: String,
    pub birth_date: Option<NaiveDate>,
    pub birth: String,
    pub sex: String,
    pub address: String,
    /// 新規 / 削除 / 退去.
    pub state: &'static str,
    /// 死亡 / 負傷 / 非該当.
    pub status: &'static str,
    pub actor: String,
    pub reported: bool,
    /// The suspected-duplicate group's number (0: none).
    pub group: i32,
    pub flagged: bool,
    pub flag_message: &'static str,
    pub deleted: bool,
    /// Offered for the check-box deletion (figure 4-8): unreported and not deleted.
    pub deletable: bool,
    /// Ticked (kept after a refused deletion).
    pub checked: bool,
}

impl Row {
    pub fn of(row: &OrganiseRow, flag_message: &'static str) -> Row {
        let state = &row.view.state;
        let entry = &state.entry;
        let deleted = state.deletion.is_some();
        Row {
            id: state.record_id.to_string(),
            received_at: state.received_at,
            written_at: entry.parsed.written_at,
            received: jst(state.received_at),
            written: jst(entry.parsed.written_at),
            name: entry.display_name(),
            kana: entry.parsed.furigana.clone().unwrap_or_default(),
            birth_date: entry.parsed.birth_date,
            birth: entry
                .parsed
                .birth_date
                .map(era::format_era)
                .unwrap_or_default(),
            sex: entry
                .parsed
                .sex
                .map(|s| s.label_ja().to_string())
                .unwrap_or_default(),
            address: entry.address_line(),
            state: row.state_label,
            status: row.status_label,
            actor: state.actor.to_string(),
            reported: row.reported,
            group: row.suspect_group,
            flagged: row.flagged,
            flag_message,
            deleted,
            deletable: !row.reported && !deleted,
            checked: false,
        }
    }

    /// The row's classes: `unreported`, `suspect group-odd|group-even`, `flagged`,
    /// `deleted`.
    pub fn classes(&self) -> String {
        let mut classes = vec!["record"];
        if !self.reported {
            classes.push("unreported");
        }
        if self.group > 0 {
            classes.push("suspect");
            classes.push(if self.group % 2 == 1 {
                "group-odd"
            } else {
                "group-even"
            });
        }
        if self.flagged {
            classes.push("flagged");
        }
        if self.deleted {
            classes.push("deleted");
        }
        classes.join(" ")
    }
}

fn compare(a: &Row, b: &Row, key: SortKey) -> Ordering {
    match key {
        SortKey::Received => a.received_at.cmp(&b.received_at),
        SortKey::Written => a.written_at.cmp(&b.written_at),
        SortKey::Name => a.name.cmp(&b.name),
        SortKey::Kana => a.kana.cmp(&b.kana),
        SortKey::Birth => a.birth_date.cmp(&b.birth_date),
        SortKey::Sex => a.sex.cmp(&b.sex),
        SortKey::Address => a.address.cmp(&b.address),
        SortKey::State => (a.state, a.status).cmp(&(b.state, b.status)),
        SortKey::Actor => a.actor.cmp(&b.actor),
    }
}

/// Sorts by the chosen column, the unreported rows always first; rows that
/// compare equal keep the app's order.
pub fn sort_rows(rows: &mut [Row], sort: Option<SortKey>, dir: Dir) {
    rows.sort_by(|a, b| {
        a.reported.cmp(&b.reported).then_with(|| match sort {
            None => Ordering::Equal,
            Some(key) => {
                let order = compare(a, b, key);
                if dir == Dir::Desc {
                    order.reverse()
                } else {
                    order
                }
            }
        })
    });
}

/// A record named in a group or a flag: its name when it is on this page.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub label: String,
}

fn member(rows: &[Row], id: &RecordId) -> Member {
    let id = id.to_string();
    let label = rows
        .iter()
        .find(|r| r.id == id)
        .map(|r| {
            format!(
                "{}（記入 {}・{}・受信 {}・記入者 {}）",
                r.name, r.written, r.address, r.received, r.actor
            )
        })
        .unwrap_or_else(|| format!("このページにない安否情報（ID {id}）"));
    Member { id, label }
}

/// A merge the operator may choose: keep one, merge the others into it.
#[derive(Debug, Clone)]
pub struct MergeChoice {
    pub keep: Member,
    pub remove: Vec<String>,
}

fn choices(members: &[Member]) -> Vec<MergeChoice> {
    members
        .iter()
        .map(|keep| MergeChoice {
            keep: keep.clone(),
            remove: members
                .iter()
                .filter(|m| m.id != keep.id)
                .map(|m| m.id.clone())
                .collect(),
        })
        .collect()
}

pub struct GroupView {
    pub number: i32,
    pub name: String,
    pub birth: String,
    pub members: Vec<Member>,
    pub choices: Vec<MergeChoice>,
}

pub struct FlagView {
    pub message: &'static str,
    pub flagged_at: String,
    pub older: Member,
    pub newer: Member,
    pub choices: Vec<MergeChoice>,
}

#[derive(Template)]
#[template(path = "console/organise.html")]
pub struct OrganisePage {
    pub frame: Frame,
    pub incident_chosen: bool,
    pub rows: Vec<Row>,
    pub headers: Vec<Header>,
    pub groups: Vec<GroupView>,
    pub flags: Vec<FlagView>,
    pub total: i64,
    pub unreported_records: i64,
    pub first: i64,
    pub last: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    /// The current view's sort, for the forms' hidden fields (empty: none).
    pub sort: &'static str,
    pub dir: &'static str,
    pub offset: i32,
    pub can_delete: bool,
    pub can_report: bool,
    pub can_merge: bool,
    pub reports_upward: bool,
    pub unreported_events: i64,
    pub last_report: Option<SentView>,
    pub reason: String,
    pub errors: FormErrors,
}

impl OrganisePage {
    pub fn deletable_count(&self) -> usize {
        self.rows.iter().filter(|r| r.deletable).count()
    }
}

/// What a refused check-box deletion keeps: the reason typed and the boxes ticked.
#[derive(Default)]
struct Kept {
    reason: String,
    checked: Vec<String>,
    errors: FormErrors,
}

async fn organise_page(state: &Shared, clerk: &Clerk, view: View, kept: Kept) -> Response {
    let node = &state.node;
    let session = &clerk.session;
    let incidents = match node.list_incidents(session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    let screen: OrganiseScreen = match node
        .organise(session, clerk.console.incident, PAGE, view.offset)
        .await
    {
        Ok(screen) => screen,
        Err(error) => return fail(error),
    };
    let unreported_events = match node.node_info(session).await {
        Ok(info) => info.unreported_events,
        Err(error) => return fail(error),
    };
    let tier = node.config.tier;
    let role = session.role;
    let last_report = if account::permits(role, Operation::ReportHistory, tier) {
        node.report_history(session, 1)
            .await
            .ok()
            .and_then(|history| history.sent.first().map(SentView::of))
    } else {
        None
    };
    let flag_message = screen
        .flags
        .first()
        .map(|f| f.message)
        .unwrap_or(anpi_core::dedup::FLAG_MESSAGE_JA);
    let mut rows: Vec<Row> = screen
        .rows
        .iter()
        .map(|row| {
            let mut shown = Row::of(row, flag_message);
            shown.checked = shown.deletable && kept.checked.contains(&shown.id);
            shown
        })
        .collect();
    sort_rows(&mut rows, view.sort, view.dir);
    let groups = screen
        .groups
        .iter()
        .map(|group| {
            let members: Vec<Member> = group.records.iter().map(|id| member(&rows, id)).collect();
            GroupView {
                number: group.number,
                name: group.name.clone(),
                birth: group.birth_date.clone(),
                choices: choices(&members),
                members,
            }
        })
        .collect();
    let flags = screen
        .flags
        .iter()
        .map(|flag| {
            let older = member(&rows, &flag.older);
            let newer = member(&rows, &flag.newer);
            FlagView {
                message: flag.message,
                flagged_at: jst(flag.flagged_at),
                choices: choices(&[older.clone(), newer.clone()]),
                older,
                newer,
            }
        })
        .collect();
    let shown = rows.len() as i64;
    let offset = i64::from(view.offset);
    let prev_href = (view.offset > 0).then(|| {
        View {
            offset: (view.offset - PAGE).max(0),
            ..view
        }
        .href()
    });
    let next_href = (offset + shown < screen.total).then(|| {
        View {
            offset: view.offset + PAGE,
            ..view
        }
        .href()
    });
    let status = if kept.errors.list.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&OrganisePage {
        frame: Frame::new(state, clerk, "/organise", &incidents),
        incident_chosen: clerk.console.incident.is_some(),
        headers: headers(&view),
        groups,
        flags,
        total: screen.total,
        unreported_records: screen.unreported,
        first: if shown == 0 { 0 } else { offset + 1 },
        last: offset + shown,
        prev_href,
        next_href,
        sort: view.sort.map_or("", SortKey::as_str),
        dir: view.dir.as_str(),
        offset: view.offset,
        can_delete: account::permits(role, Operation::DeleteEntry, tier),
        can_report: account::permits(role, Operation::Report, tier),
        can_merge: account::permits(role, Operation::Organise, tier),
        reports_upward: node.config.parent.is_some(),
        unreported_events,
        last_report,
        reason: kept.reason,
        errors: kept.errors,
        rows,
    });
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// GET /organise (`?sort=<column>&dir=asc|desc&offset=<n>`).
pub async fn page(
    State(state): State<Shared>,
    clerk: Clerk,
    RawQuery(query): RawQuery,
) -> Response {
    let view = View::from_query(query.as_deref());
    organise_page(&state, &clerk, view, Kept::default()).await
}

fn values<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    values(pairs, key).first().copied().unwrap_or("")
}

/// A refusal that ends the whole request (the login, the role).
fn ends_request(error: &AppError) -> bool {
    matches!(
        error,
        AppError::Forbidden(_)
            | AppError::LoginExpired
            | AppError::Unauthenticated(_)
            | AppError::MustChangePassword(_)
    )
}

/// A short reference to a record in a message: the end of its UUID (the start of a
/// time-ordered UUID is the same for records written together).
fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

/// Why records were refused, each reason once with the records it refused.
#[derive(Debug, Default)]
pub struct Refusals(Vec<(String, Vec<String>)>);

impl Refusals {
    pub fn add(&mut self, id: &str, message: String) {
        let id = format!("ID …{}", short(id));
        match self.0.iter_mut().find(|(m, _)| *m == message) {
            Some((_, ids)) => ids.push(id),
            None => self.0.push((message, vec![id])),
        }
    }

    pub fn count(&self) -> usize {
        self.0.iter().map(|(_, ids)| ids.len()).sum()
    }
}

/// The result of deleting or merging several records, for the next page.
pub fn outcome_message(done: usize, verb: &str, refusals: &Refusals) -> String {
    let mut message = format!("{done}件の安否情報を{verb}しました");
    if refusals.count() > 0 {
        let reasons: Vec<String> = refusals
            .0
            .iter()
            .map(|(m, ids)| format!("{}（{}）", m, ids.join("、")))
            .collect();
        message.push_str(&format!(
            "。{}件は{verb}できませんでした：{}",
            refusals.count(),
            reasons.join("／")
        ));
    }
    message
}

/// POST /organise/delete: `record` (one per ticked box), `reason` (figure 4-8).
pub async fn delete(
    State(state): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let view = View::from_pairs(&form);
    let reason = first(&form, "reason").to_string();
    let records: Vec<String> = values(&form, "record")
        .into_iter()
        .map(str::to_string)
        .collect();
    if records.is_empty() {
        let kept = Kept {
            reason,
            checked: records,
            errors: FormErrors::one(
                "record",
                "削除する安否情報のチェックボックスを選んでください",
            ),
        };
        return organise_page(&state, &clerk, view, kept).await;
    }
    let mut deleted = 0;
    let mut refusals = Refusals::default();
    for text in &records {
        let Ok(id) = text.parse::<RecordId>() else {
            refusals.add(text, "IDの形式が正しくありません".into());
            continue;
        };
        match state
            .node
            .delete_entry(&clerk.session, id, reason.clone())
            .await
        {
            Ok(_) => deleted += 1,
            // The reason is refused before anything is deleted: the page again, with
            // the reason beside its field and the boxes still ticked.
            Err(AppError::Invalid(errors)) if deleted == 0 => {
                let kept = Kept {
                    reason,
                    checked: records.clone(),
                    errors: FormErrors::of(&errors),
                };
                return organise_page(&state, &clerk, view, kept).await;
            }
            Err(error) if ends_request(&error) => return fail(error),
            Err(error) => refusals.add(text, error_text(&error)),
        }
    }
    let message = outcome_message(deleted, "削除", &refusals);
    redirect_with(&state, &clerk, &view.href(), message)
}

fn error_text(error: &AppError) -> String {
    match error {
        AppError::Invalid(errors) => anpi_core::validation::summarize(errors),
        other => other.to_string(),
    }
}

/// POST /organise/merge: `keep` and one or more `remove` (D-05: the operator decides
/// they describe the same person).
pub async fn merge(State(state): State<Shared>, posted: Posted<Vec<(String, String)>>) -> Response {
    let Posted { clerk, form } = posted;
    let view = View::from_pairs(&form);
    let Ok(keep) = first(&form, "keep").parse::<RecordId>() else {
        return redirect_with(&state, &clerk, &view.href(), "残す安否情報を選んでください");
    };
    let mut merged = 0;
    let mut refusals = Refusals::default();
    for text in values(&form, "remove") {
        let Ok(remove) = text.parse::<RecordId>() else {
            refusals.add(text, "IDの形式が正しくありません".into());
            continue;
        };
        match state
            .node
            .merge_duplicate(&clerk.session, keep, remove)
            .await
        {
            Ok(_) => merged += 1,
            Err(error) if ends_request(&error) => return fail(error),
            Err(error) => refusals.add(text, error_text(&error)),
        }
    }
    let message = outcome_message(merged, "統合（重複として削除）", &refusals);
    redirect_with(&state, &clerk, &view.href(), message)
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    offset: String,
}

/// POST /organise/report: R-01, every not-yet-reported event of the node upward.
pub async fn report(State(state): State<Shared>, posted: Posted<ReportForm>) -> Response {
    let Posted { clerk, form } = posted;
    let view = View::from_pairs(&[
        ("sort".into(), form.sort),
        ("dir".into(), form.dir),
        ("offset".into(), form.offset),
    ]);
    match state.node.report(&clerk.session).await {
        Ok(made) => redirect_with(&state, &clerk, &view.href(), made.message),
        Err(error) if ends_request(&error) => fail(error),
        Err(error) => redirect_with(
            &state,
            &clerk,
            &view.href(),
            format!("報告できませんでした：{}", error_text(&error)),
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::console::frame::NavItem;
    use chrono::TimeZone;

    fn row(id: &str, name: &str, reported: bool, minute: u32) -> Row {
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, minute, 0).unwrap();
        Row {
            id: id.into(),
            received_at: at,
            written_at: at,
            received: jst(at),
            written: jst(at),
            name: name.into(),
            kana: String::new(),
            birth_date: None,
            birth: String::new(),
            sex: "男".into(),
            address: "東京都千代田区".into(),
            state: "新規",
            status: "非該当",
            actor: "131016/clerk1".into(),
            reported,
            group: 0,
            flagged: false,
            flag_message: anpi_core::dedup::FLAG_MESSAGE_JA,
            deleted: false,
            deletable: !reported,
            checked: false,
        }
    }

    pub(crate) fn frame() -> Frame {
        Frame {
            node: "千代田区（131016・市町村）".into(),
            user: "clerk1".into(),
            role: "整理・報告端末",
            incident: None,
            csrf: "token".into(),
            nav: vec![NavItem {
                href: "/organise",
                label: "重複検索・報告",
                current: true,
            }],
            notice: None,
        }
    }

    fn ids(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn unreported_rows_stay_first_whatever_the_sort() {
        let mut rows = vec![
            row("a", "山田", true, 1),
            row("b", "佐藤", false, 2),
            row("c", "伊藤", true, 3),
            row("d", "鈴木", false, 4),
        ];
        sort_rows(&mut rows, None, Dir::Asc);
        assert_eq!(ids(&rows), ["b", "d", "a", "c"]);
        sort_rows(&mut rows, Some(SortKey::Received), Dir::Desc);
        assert_eq!(ids(&rows), ["d", "b", "c", "a"]);
        sort_rows(&mut rows, Some(SortKey::Name), Dir::Asc);
        // 伊 < 山 and 佐 < 鈴 in code point order.
        assert_eq!(ids(&rows), ["b", "d", "c", "a"]);
    }

    #[test]
    fn the_view_reads_only_known_columns_and_builds_its_link() {
        let view = View::from_query(Some("sort=birth&dir=desc&offset=500&name=x"));
        assert_eq!(view.sort, Some(SortKey::Birth));
        assert_eq!(view.dir, Dir::Desc);
        assert_eq!(view.offset, 500);
        assert_eq!(view.href(), "/organise?sort=birth&dir=desc&offset=500");
        let odd = View::from_query(Some("sort=<script>&offset=-3"));
        assert_eq!(odd, View::default());
        assert_eq!(odd.href(), "/organise");
    }

    #[test]
    fn the_sorted_header_toggles_and_carries_aria_sort() {
        let view = View {
            sort: Some(SortKey::Name),
            dir: Dir::Asc,
            offset: 0,
        };
        let all = headers(&view);
        assert_eq!(all.len(), 9);
        let name = all.iter().find(|h| h.key == "name").unwrap();
        assert_eq!(name.aria_sort, "ascending");
        assert_eq!(name.href, "/organise?sort=name&dir=desc");
        let kana = all.iter().find(|h| h.key == "kana").unwrap();
        assert_eq!(kana.aria_sort, "");
        assert_eq!(kana.href, "/organise?sort=kana&dir=asc");
        assert_eq!(
            all.iter().map(|h| h.label).collect::<Vec<_>>(),
            [
                "受信日時",
                "記入日時",
                "氏名",
                "フリガナ",
                "生年月日",
                "男女",
                "住所",
                "状態",
                "記入者"
            ]
        );
    }

    #[test]
    fn row_classes_mark_unreported_groups_flags_and_deletions() {
        let mut r = row("a", "x", false, 0);
        r.group = 3;
        r.flagged = true;
        assert_eq!(r.classes(), "record unreported suspect group-odd flagged");
        let mut r = row("b", "x", true, 0);
        r.deleted = true;
        r.group = 2;
        assert_eq!(r.classes(), "record suspect group-even deleted");
    }

    #[test]
    fn a_merge_choice_keeps_one_and_removes_the_rest() {
        let members = vec![
            Member {
                id: "1".into(),
                label: "a".into(),
            },
            Member {
                id: "2".into(),
                label: "b".into(),
            },
            Member {
                id: "3".into(),
                label: "c".into(),
            },
        ];
        let all = choices(&members);
        assert_eq!(all[1].keep.id, "2");
        assert_eq!(all[1].remove, ["1", "3"]);
    }

    #[test]
    fn the_outcome_counts_and_lists_refusals() {
        assert_eq!(
            outcome_message(2, "削除", &Refusals::default()),
            "2件の安否情報を削除しました"
        );
        let mut refusals = Refusals::default();
        refusals.add(
            "01a2451a-0000-7000-8000-0000aaaaaaaa",
            "受付停止中です".into(),
        );
        refusals.add(
            "01a2451a-0000-7000-8000-0000bbbbbbbb",
            "受付停止中です".into(),
        );
        refusals.add("x", "IDの形式が正しくありません".into());
        assert_eq!(
            outcome_message(1, "削除", &refusals),
            "1件の安否情報を削除しました。3件は削除できませんでした：受付停止中です（ID …aaaaaaaa、ID …bbbbbbbb）／IDの形式が正しくありません（ID …x）"
        );
    }

    fn page_with(rows: Vec<Row>) -> OrganisePage {
        OrganisePage {
            frame: frame(),
            incident_chosen: false,
            headers: headers(&View::default()),
            groups: vec![GroupView {
                number: 1,
                name: "<script>alert(2)</script>".into(),
                birth: "昭和11年11月11日".into(),
                members: vec![Member {
                    id: "a".into(),
                    label: "<b>x</b>".into(),
                }],
                choices: choices(&[
                    Member {
                        id: "a".into(),
                        label: "<b>x</b>".into(),
                    },
                    Member {
                        id: "b".into(),
                        label: "y".into(),
                    },
                ]),
            }],
            flags: vec![FlagView {
                message: anpi_core::dedup::FLAG_MESSAGE_JA,
                flagged_at: "2024-01-01 09:00".into(),
                older: Member {
                    id: "a".into(),
                    label: "x".into(),
                },
                newer: Member {
                    id: "b".into(),
                    label: "y".into(),
                },
                choices: choices(&[
                    Member {
                        id: "a".into(),
                        label: "x".into(),
                    },
                    Member {
                        id: "b".into(),
                        label: "y".into(),
                    },
                ]),
            }],
            total: rows.len() as i64,
            unreported_records: 1,
            first: 1,
            last: rows.len() as i64,
            prev_href: None,
            next_href: Some("/organise?offset=500".into()),
            sort: "",
            dir: "asc",
            offset: 0,
            can_delete: true,
            can_report: true,
            can_merge: true,
            reports_upward: true,
            unreported_events: 7,
            last_report: None,
            reason: "\"><script>".into(),
            errors: FormErrors::one("reason", "削除理由を入力してください"),
            rows,
        }
    }

    #[test]
    fn the_page_escapes_markup_and_uses_no_style_attribute() {
        let mut evil = row("a", "<script>alert(1)</script>", false, 0);
        evil.group = 1;
        evil.flagged = true;
        let html = page_with(vec![evil, row("b", "山田 太郎", true, 1)])
            .render()
            .unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(
            html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)")
        );
        assert!(!html.contains("style="));
        assert!(!html.contains("<b>x</b>"));
        assert!(html.contains("id=\"report-button\""));
        assert!(html.contains("未報告 7 件のイベントを報告します"));
        assert!(html.contains("class=\"record unreported suspect group-odd flagged\""));
        assert!(html.contains("name=\"record\" value=\"a\""));
        assert!(!html.contains("name=\"record\" value=\"b\""));
        assert!(html.contains("href=\"/records/a\""));
        assert!(html.contains("2情報一致"));
        assert!(html.contains("削除理由を入力してください"));
    }

    #[test]
    fn buttons_are_left_out_for_roles_that_may_not() {
        let mut page = page_with(vec![row("a", "x", false, 0)]);
        page.can_delete = false;
        page.can_report = false;
        page.can_merge = false;
        let html = page.render().unwrap();
        assert!(!html.contains("report-button"));
        assert!(!html.contains("delete-button"));
        assert!(!html.contains("name=\"record\""));
        assert!(!html.contains("こちらを残す"));
    }
}
