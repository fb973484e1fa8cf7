//! `/rollcall/{id}`: one roll-call's dashboard (K-03, source page 13): the header
//! (title, 災害/訓練 with the drill banner, round, open or closed, the mails' delivery),
//! the counts per organisation (each count a link to the same page showing only those
//! members: `?org=CODE&progress=not_opened`, `?org=CODE&status=無事`), the members with
//! their progress, answer and mails, and the actions: resend to the unconfirmed, clear
//! the results (a new round), close, and a proxy answer (代理回答) for a member shown.
//! `/rollcall/{id}/members/{code}`: every answer of one member (K-09).

use std::collections::BTreeSet;

use anpi_core::ids::RollcallId;
use anpi_core::rollcall::call::{OrgCount, Progress};
use anpi_core::rollcall::{MemberCode, Mode, OrgCode, OrgTree};
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{frame, problem, query, shown, value};
use crate::app::AppError;
use crate::app::rollcall::Dashboard;
use crate::console::{
    Clerk, FormErrors, Frame, Posted, Shared, fail, jst, message_page, redirect_with, render,
};
use crate::store::rollcall::Recipient;

/// Which members the page shows (from the query, or a form's hidden fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub org: Option<OrgCode>,
    pub progress: Option<Progress>,
    pub status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct FilterQuery {
    #[serde(default)]
    org: String,
    #[serde(default)]
    progress: String,
    #[serde(default)]
    status: String,
}

impl Filter {
    /// The filter of raw values; an unknown organisation, progress or status is
    /// dropped (the page then shows more, never nothing by mistake).
    pub fn parse(
        org: &str,
        progress: &str,
        status: &str,
        tree: &OrgTree,
        statuses: &[String],
    ) -> Filter {
        Filter {
            org: OrgCode::parse(org).ok().filter(|code| tree.contains(code)),
            progress: Progress::ALL.into_iter().find(|p| p.as_str() == progress),
            status: statuses.iter().find(|s| s.as_str() == status).cloned(),
        }
    }

    fn from_query(query: Option<&str>, tree: &OrgTree, statuses: &[String]) -> Filter {
        let raw: FilterQuery =
            serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
        Filter::parse(&raw.org, &raw.progress, &raw.status, tree, statuses)
    }

    /// The hidden fields a form sends back (`back_org` …).
    fn from_form(form: &[(String, String)], tree: &OrgTree, statuses: &[String]) -> Filter {
        Filter::parse(
            value(form, "back_org"),
            value(form, "back_progress"),
            value(form, "back_status"),
            tree,
            statuses,
        )
    }

    /// The page's URL with this filter.
    pub fn href(&self, id: RollcallId) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(org) = &self.org {
            pairs.push(("org", org.as_str()));
        }
        if let Some(progress) = self.progress {
            pairs.push(("progress", progress.as_str()));
        }
        if let Some(status) = &self.status {
            pairs.push(("status", status.as_str()));
        }
        if pairs.is_empty() {
            format!("/rollcall/{id}")
        } else {
            format!("/rollcall/{id}?{}", query(&pairs))
        }
    }

    /// Whether a recipient is shown.
    pub fn keeps(&self, scope: Option<&BTreeSet<OrgCode>>, recipient: &Recipient) -> bool {
        scope.is_none_or(|scope| recipient.member.belongs_to_any(scope))
            && self
                .progress
                .is_none_or(|p| recipient.state.progress() == p)
            && self
                .status
                .as_ref()
                .is_none_or(|s| recipient.last_status.as_ref() == Some(s))
    }

    /// The filter in words: `総務部 / 防災課（下位組織を含む）・未開封`.
    pub fn describe(&self, tree: &OrgTree) -> String {
        let mut parts = Vec::new();
        if let Some(org) = &self.org {
            parts.push(format!("{}（下位組織を含む）", tree.path(org)));
        }
        if let Some(progress) = self.progress {
            parts.push(progress.label().to_string());
        }
        if let Some(status) = &self.status {
            parts.push(format!("安否状況「{status}」"));
        }
        parts.join("・")
    }
}

/// One count: the number, the page showing who, and words for a screen reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountCell {
    pub value: usize,
    pub href: String,
    pub spoken: String,
    /// The page shows exactly these members now.
    pub current: bool,
}

/// One row of the counts table: the whole roll-call or one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub label: String,
    pub depth: usize,
    pub whole: bool,
    pub total: CountCell,
    pub progress: Vec<CountCell>,
    pub statuses: Vec<CountCell>,
}

impl CountRow {
    pub fn depth_class(&self) -> String {
        format!("depth-{}", self.depth.min(5))
    }
}

/// The status columns: the roll-call's choices in their order, then any other
/// status an answer holds (none unless the list changed).
pub fn status_columns(statuses: &[String], whole: &OrgCount) -> Vec<String> {
    let mut columns = statuses.to_vec();
    for status in whole.statuses.keys() {
        if !columns.contains(status) {
            columns.push(status.clone());
        }
    }
    columns
}

fn count_row(
    id: RollcallId,
    label: String,
    org: Option<&OrgCode>,
    depth: usize,
    count: &OrgCount,
    columns: &[String],
    current: &Filter,
) -> CountRow {
    let cell = |value: usize, filter: Filter, what: &str| CountCell {
        value,
        href: filter.href(id),
        spoken: format!("人（{label}・{what}）"),
        current: &filter == current,
    };
    let base = Filter {
        org: org.cloned(),
        ..Filter::default()
    };
    CountRow {
        total: cell(count.total, base.clone(), "対象"),
        progress: Progress::ALL
            .into_iter()
            .map(|p| {
                let filter = Filter {
                    progress: Some(p),
                    ..base.clone()
                };
                cell(
                    count.progress.get(&p).copied().unwrap_or(0),
                    filter,
                    p.label(),
                )
            })
            .collect(),
        statuses: columns
            .iter()
            .map(|s| {
                let filter = Filter {
                    status: Some(s.clone()),
                    ..base.clone()
                };
                cell(count.statuses.get(s).copied().unwrap_or(0), filter, s)
            })
            .collect(),
        whole: org.is_none(),
        depth,
        label,
    }
}

/// One member as the table shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    pub code: String,
    pub name: String,
    pub orgs: Vec<String>,
    pub progress_label: &'static str,
    pub progress_class: &'static str,
    pub status: String,
    pub comment: String,
    pub first_at: String,
    pub last_at: String,
    pub proxy: String,
    pub sent: i64,
    pub pending: i64,
    pub failed: i64,
    pub last_reply: String,
    pub history_href: String,
}

impl MemberView {
    pub fn of(id: RollcallId, tree: &OrgTree, r: &Recipient) -> MemberView {
        let progress = r.state.progress();
        MemberView {
            code: r.member.code.to_string(),
            name: r.member.name.clone(),
            orgs: r.member.orgs.iter().map(|o| tree.path(o)).collect(),
            progress_label: progress.label(),
            progress_class: progress.as_str(),
            status: r.last_status.clone().unwrap_or_default(),
            comment: r.last_comment.clone().unwrap_or_default(),
            first_at: r.first_answered_at.map(jst).unwrap_or_default(),
            last_at: r.last_answered_at.map(jst).unwrap_or_default(),
            proxy: r.last_proxy.clone().unwrap_or_default(),
            sent: r.mails_sent,
            pending: r.mails_pending,
            failed: r.mails_failed,
            last_reply: r.last_reply.clone().unwrap_or_default(),
            history_href: format!("/rollcall/{id}/members/{}", r.member.code),
        }
    }
}

/// The proxy-answer form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyForm {
    pub member: String,
    pub status: String,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "console/rollcall_dashboard.html")]
pub struct DashboardPage {
    pub frame: Frame,
    pub id: String,
    pub title: String,
    pub mode_label: &'static str,
    pub drill: bool,
    pub round: i32,
    pub closed: bool,
    /// Withdrawn (取消, K-08): when (Japan time) and why.
    pub cancelled: bool,
    pub cancelled_at: String,
    pub cancel_reason: String,
    /// Mails of this roll-call: waiting, sent, failed.
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub progress_labels: Vec<&'static str>,
    pub status_columns: Vec<String>,
    pub counts: Vec<CountRow>,
    pub members: Vec<MemberView>,
    /// Recipients this clerk sees, before the filter.
    pub seen: usize,
    /// The filter in words (empty: every member).
    pub filter_text: String,
    pub all_href: String,
    pub here_href: String,
    pub back_org: String,
    pub back_progress: String,
    pub back_status: String,
    pub statuses: Vec<String>,
    pub proxy: ProxyForm,
    pub errors: FormErrors,
    pub shown_at: String,
    /// K-08: how many Form 1 drafts the answers made, for a caller who may enter
    /// Form 1 (`None`: no link to them).
    pub form1_drafts: Option<usize>,
}

impl DashboardPage {
    pub fn here(&self) -> &'static str {
        "list"
    }

    /// The number of columns of the counts table after 対象.
    pub fn status_span(&self) -> usize {
        self.status_columns.len().max(1)
    }
}

/// The page of a dashboard, filtered.
pub fn dashboard_page(
    frame: Frame,
    d: &Dashboard,
    filter: &Filter,
    proxy: ProxyForm,
    errors: FormErrors,
) -> DashboardPage {
    let id = d.call.id;
    let columns = status_columns(&d.call.statuses, &d.whole);
    let mut counts = vec![count_row(
        id,
        "全体".into(),
        None,
        0,
        &d.whole,
        &columns,
        filter,
    )];
    counts.extend(d.per_org.iter().map(|(org, count)| {
        count_row(
            id,
            d.tree.path(org),
            Some(org),
            d.tree.depth(org),
            count,
            &columns,
            filter,
        )
    }));
    let scope = filter
        .org
        .as_ref()
        .map(|org| d.tree.with_descendants([org]));
    let members: Vec<MemberView> = d
        .recipients
        .iter()
        .filter(|r| filter.keeps(scope.as_ref(), r))
        .map(|r| MemberView::of(id, &d.tree, r))
        .collect();
    let (pending, sent, failed) = d.delivery;
    DashboardPage {
        frame,
        id: id.to_string(),
        title: d.call.title.clone(),
        mode_label: d.call.mode.label(),
        drill: d.call.mode == Mode::Drill,
        round: d.call.round,
        closed: d.call.closed,
        cancelled: d.call.cancelled,
        cancelled_at: d
            .listed
            .as_ref()
            .and_then(|l| l.cancelled_at)
            .map(jst)
            .unwrap_or_default(),
        cancel_reason: d
            .listed
            .as_ref()
            .map(|l| l.cancel_reason.clone())
            .unwrap_or_default(),
        pending,
        sent,
        failed,
        progress_labels: Progress::ALL.iter().map(|p| p.label()).collect(),
        status_columns: columns,
        counts,
        members,
        seen: d.recipients.len(),
        filter_text: filter.describe(&d.tree),
        all_href: format!("/rollcall/{id}"),
        here_href: filter.href(id),
        back_org: filter
            .org
            .as_ref()
            .map(|o| o.to_string())
            .unwrap_or_default(),
        back_progress: filter
            .progress
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        back_status: filter.status.clone().unwrap_or_default(),
        statuses: d.call.statuses.clone(),
        proxy,
        errors,
        shown_at: jst(chrono::Utc::now()),
        form1_drafts: None,
    }
}

/// The number of Form 1 drafts of the dashboard (K-08), if the app lets this caller
/// have them (the same authority as the drafts page).
fn form1_drafts(state: &Shared, clerk: &Clerk, dashboard: &Dashboard) -> Option<usize> {
    state
        .node
        .rollcall_form1_drafts_in(&clerk.session, dashboard)
        .ok()
        .map(|drafts| drafts.len())
}

/// The roll-call ID of a path; `None` is answered with [`unknown_call`].
fn parse_id(text: &str) -> Option<RollcallId> {
    text.parse::<RollcallId>().ok()
}

fn unknown_call() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "安否確認が見つかりません",
        "指定された安否確認はありません。「安否確認」の一覧から選んでください。",
    )
}

/// Renders the dashboard; `errors` (a refused action) make it a 422.
async fn show(
    state: &Shared,
    clerk: &Clerk,
    id: RollcallId,
    filter: Filter,
    proxy: ProxyForm,
    errors: FormErrors,
) -> Response {
    let dashboard = match state.node.rollcall_status(&clerk.session, id).await {
        Ok(d) => d,
        Err(error) => return fail(error),
    };
    let refused = !errors.list.is_empty();
    let mut page = dashboard_page(
        frame(state, clerk).await,
        &dashboard,
        &filter,
        proxy,
        errors,
    );
    page.form1_drafts = form1_drafts(state, clerk, &dashboard);
    let mut response = render(&page);
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /rollcall/{id}?org=&progress=&status=.
pub async fn page(
    State(state): State<Shared>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    clerk: Clerk,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return unknown_call();
    };
    let dashboard = match state.node.rollcall_status(&clerk.session, id).await {
        Ok(d) => d,
        Err(error) => return fail(error),
    };
    let filter = Filter::from_query(raw.as_deref(), &dashboard.tree, &dashboard.call.statuses);
    let mut page = dashboard_page(
        frame(&state, &clerk).await,
        &dashboard,
        &filter,
        ProxyForm::default(),
        FormErrors::default(),
    );
    page.form1_drafts = form1_drafts(&state, &clerk, &dashboard);
    render(&page)
}

/// What an action needs first: the roll-call's ID, and the filter to go back to.
async fn prepare(
    state: &Shared,
    clerk: &Clerk,
    id: &str,
    form: &[(String, String)],
) -> Result<(RollcallId, Filter), Response> {
    let id = parse_id(id).ok_or_else(unknown_call)?;
    let dashboard = state
        .node
        .rollcall_status(&clerk.session, id)
        .await
        .map_err(fail)?;
    let filter = Filter::from_form(form, &dashboard.tree, &dashboard.call.statuses);
    Ok((id, filter))
}

/// After an action: back to the page as it was with `notice`, or the page again with
/// the refusal beside the control (`field`, `label`).
async fn finish(
    state: &Shared,
    clerk: &Clerk,
    id: RollcallId,
    filter: Filter,
    result: Result<String, AppError>,
    field: &str,
    label: &str,
) -> Response {
    match result {
        Ok(notice) => redirect_with(state, clerk, &filter.href(id), notice),
        Err(AppError::Conflict(message) | AppError::NotFound(message)) => {
            let errors = shown(&[problem(field, label, message)], "");
            show(state, clerk, id, filter, ProxyForm::default(), errors).await
        }
        Err(AppError::Invalid(errors)) => {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| problem(field, label, e.message))
                .collect();
            show(
                state,
                clerk,
                id,
                filter,
                ProxyForm::default(),
                shown(&errors, ""),
            )
            .await
        }
        Err(error) => fail(error),
    }
}

/// The confirmation checkbox of clear and close.
fn confirmed(form: &[(String, String)]) -> bool {
    value(form, "confirm") == "yes"
}

/// POST /rollcall/{id}/resend: the mail again to every member not yet confirmed.
pub async fn resend(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let (id, filter) = match prepare(&state, &clerk, &id, &form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = state
        .node
        .rollcall_resend(&clerk.session, id)
        .await
        .map(|written| {
            format!(
                "未確認の職員へ安否確認メールを再送信しました（{}通を送信待ちに入れました）。",
                written.mails
            )
        });
    finish(
        &state,
        &clerk,
        id,
        filter,
        result,
        "resend",
        "未確認者へ再送信",
    )
    .await
}

/// POST /rollcall/{id}/clear (`confirm=yes`): the results cleared, a new round.
pub async fn clear(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let (id, filter) = match prepare(&state, &clerk, &id, &form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = if confirmed(&form) {
        state
            .node
            .rollcall_clear(&clerk.session, id)
            .await
            .map(|_| {
                "回答結果をクリアし、新しい回を始めました。これまでの回答は各職員の回答履歴に残っています。必要なら「未確認者へ再送信」でメールを送ってください。".to_string()
            })
    } else {
        Err(AppError::Conflict(
            "結果をクリアするには、確認のチェックボックスにチェックを入れてください".into(),
        ))
    };
    finish(
        &state,
        &clerk,
        id,
        filter,
        result,
        "clear_confirm",
        "結果をクリア",
    )
    .await
}

/// POST /rollcall/{id}/close (`confirm=yes`): closed, the links expire.
pub async fn close(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let (id, filter) = match prepare(&state, &clerk, &id, &form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = if confirmed(&form) {
        state
            .node
            .rollcall_close(&clerk.session, id)
            .await
            .map(|_| "安否確認を終了しました。メールの回答用リンクは無効になりました。".to_string())
    } else {
        Err(AppError::Conflict(
            "終了するには、確認のチェックボックスにチェックを入れてください".into(),
        ))
    };
    finish(&state, &clerk, id, filter, result, "close_confirm", "終了").await
}

/// POST /rollcall/{id}/proxy: `member`, `status`, `comment` (代理回答).
pub async fn proxy(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let (id, filter) = match prepare(&state, &clerk, &id, &form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let typed = ProxyForm {
        member: value(&form, "member").to_string(),
        status: value(&form, "status").to_string(),
        comment: value(&form, "comment").to_string(),
    };
    let member = match MemberCode::parse(&typed.member) {
        Ok(code) => code,
        Err(_) => {
            let errors = vec![problem(
                "member",
                "職員",
                "代理で回答する職員を選んでください",
            )];
            return show(&state, &clerk, id, filter, typed, shown(&errors, "proxy_")).await;
        }
    };
    match state
        .node
        .rollcall_proxy_answer(
            &clerk.session,
            id,
            member.clone(),
            &typed.status,
            &typed.comment,
        )
        .await
    {
        Ok(_) => redirect_with(
            &state,
            &clerk,
            &filter.href(id),
            format!(
                "職員番号 {member} の代理回答を登録しました（安否状況：{}）。",
                typed.status.trim()
            ),
        ),
        Err(AppError::Invalid(errors)) => {
            show(&state, &clerk, id, filter, typed, shown(&errors, "proxy_")).await
        }
        Err(AppError::Conflict(message) | AppError::NotFound(message)) => {
            let errors = vec![problem("member", "職員", message)];
            show(&state, &clerk, id, filter, typed, shown(&errors, "proxy_")).await
        }
        Err(error) => fail(error),
    }
}

/// One answer of a member's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub round: i32,
    pub at: String,
    pub status: String,
    pub comment: String,
    /// 本人, or 代理 with the account.
    pub by: String,
    pub proxy: bool,
}

#[derive(Template)]
#[template(path = "console/rollcall_history.html")]
pub struct HistoryPage {
    pub frame: Frame,
    pub id: String,
    pub title: String,
    pub mode_label: &'static str,
    pub drill: bool,
    pub round: i32,
    pub code: String,
    pub name: String,
    pub orgs: Vec<String>,
    pub progress_label: &'static str,
    pub progress_class: &'static str,
    pub first_at: String,
    pub rows: Vec<HistoryRow>,
}

impl HistoryPage {
    pub fn here(&self) -> &'static str {
        "list"
    }
}

/// GET /rollcall/{id}/members/{code}: every answer of one member, oldest first.
pub async fn history(
    State(state): State<Shared>,
    Path((id, code)): Path<(String, String)>,
    clerk: Clerk,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return unknown_call();
    };
    let Ok(code) = MemberCode::parse(&code) else {
        return message_page(
            StatusCode::NOT_FOUND,
            "職員が見つかりません",
            "指定された職員番号はこの安否確認の配信先にありません。",
        );
    };
    let rows = match state.node.rollcall_history(&clerk.session, id, &code).await {
        Ok(rows) => rows,
        Err(error) => return fail(error),
    };
    let dashboard = match state.node.rollcall_status(&clerk.session, id).await {
        Ok(d) => d,
        Err(error) => return fail(error),
    };
    let Some(recipient) = dashboard.recipients.iter().find(|r| r.member.code == code) else {
        return fail(AppError::NotFound(format!(
            "職員番号「{code}」の職員はいません"
        )));
    };
    let view = MemberView::of(id, &dashboard.tree, recipient);
    render(&HistoryPage {
        frame: frame(&state, &clerk).await,
        id: id.to_string(),
        title: dashboard.call.title.clone(),
        mode_label: dashboard.call.mode.label(),
        drill: dashboard.call.mode == Mode::Drill,
        round: dashboard.call.round,
        code: view.code,
        name: view.name,
        orgs: view.orgs,
        progress_label: view.progress_label,
        progress_class: view.progress_class,
        first_at: view.first_at,
        rows: rows
            .into_iter()
            .map(|row| HistoryRow {
                round: row.round,
                at: jst(row.answered_at),
                status: row.status,
                comment: row.comment,
                by: match &row.proxy {
                    Some(account) => format!("代理（{account}）"),
                    None => "本人".into(),
                },
                proxy: row.proxy.is_some(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use anpi_core::rollcall::Member;
    use anpi_core::rollcall::call::{MemberRow, RecipientState, RollCall, tally};

    use super::super::tests::{frame, tree};
    use super::*;

    fn recipient(code: &str, org: &str, state: RecipientState, status: Option<&str>) -> Recipient {
        Recipient {
            member: Member::parse(code, &format!("職員{code}"), org, "a@example.jp").unwrap(),
            state,
            opened_at: None,
            first_answered_at: None,
            last_status: status.map(str::to_string),
            last_comment: Some("<i>自宅</i>".into()),
            last_answered_at: None,
            last_proxy: state
                .last_answer_proxy
                .filter(|p| *p)
                .map(|_| "131016/admin".into()),
            mails_sent: 1,
            mails_pending: 0,
            mails_failed: 0,
            last_reply: Some("250 OK".into()),
        }
    }

    fn dashboard(drill: bool) -> Dashboard {
        let tree = tree();
        let recipients = vec![
            recipient("a1", "soumu.bousai", RecipientState::default(), None),
            recipient(
                "a2",
                "soumu.bousai.1",
                RecipientState {
                    opened: true,
                    last_answer_proxy: Some(false),
                },
                Some("無事"),
            ),
            recipient(
                "a3",
                "kensetsu",
                RecipientState {
                    opened: false,
                    last_answer_proxy: Some(true),
                },
                Some("軽傷"),
            ),
        ];
        let rows: Vec<MemberRow<'_>> = recipients
            .iter()
            .map(|r| MemberRow {
                member: &r.member,
                progress: r.state.progress(),
                status: r.last_status.as_deref(),
            })
            .collect();
        let (whole, per_org) = tally(&tree, &rows);
        Dashboard {
            call: RollCall {
                id: RollcallId::from_uuid(uuid::Uuid::from_u128(5)),
                title: "地震".into(),
                mode: if drill { Mode::Drill } else { Mode::Actual },
                orgs: vec![
                    OrgCode::parse("soumu").unwrap(),
                    OrgCode::parse("kensetsu").unwrap(),
                ],
                statuses: ["無事", "軽傷", "重傷", "その他"]
                    .map(String::from)
                    .to_vec(),
                round: 1,
                closed: false,
                cancelled: false,
            },
            tree,
            recipients,
            whole,
            per_org,
            delivery: (0, 3, 0),
            listed: None,
        }
    }

    #[test]
    fn filters_come_from_known_values_only_and_make_links_back() {
        let d = dashboard(true);
        let filter = Filter::parse("soumu", "not_opened", "元気", &d.tree, &d.call.statuses);
        assert_eq!(filter.org.as_ref().map(OrgCode::as_str), Some("soumu"));
        assert_eq!(filter.progress, Some(Progress::NotOpened));
        assert_eq!(filter.status, None, "not one of the choices");
        assert_eq!(
            filter.href(d.call.id),
            format!("/rollcall/{}?org=soumu&progress=not_opened", d.call.id)
        );
        assert_eq!(
            Filter::parse("zz", "", "", &d.tree, &d.call.statuses),
            Filter::default()
        );
        let by_status =
            Filter::from_query(Some("status=%E7%84%A1%E4%BA%8B"), &d.tree, &d.call.statuses);
        assert_eq!(by_status.status.as_deref(), Some("無事"));
        assert_eq!(by_status.describe(&d.tree), "安否状況「無事」");
    }

    #[test]
    fn counts_link_to_their_members_and_the_filter_shows_only_them() {
        let d = dashboard(true);
        let all = dashboard_page(
            frame(),
            &d,
            &Filter::default(),
            ProxyForm::default(),
            FormErrors::default(),
        );
        assert_eq!(all.members.len(), 3);
        assert_eq!(all.counts[0].label, "全体");
        assert_eq!(all.counts[0].total.value, 3);
        let soumu = all.counts.iter().find(|r| r.label == "総務部").unwrap();
        assert_eq!(soumu.total.value, 2, "sub-organisations included");
        assert_eq!(soumu.progress[0].value, 1, "未開封");
        assert!(
            soumu.progress[0]
                .href
                .ends_with("?org=soumu&progress=not_opened")
        );
        assert!(
            soumu.statuses[0]
                .href
                .ends_with("?org=soumu&status=%E7%84%A1%E4%BA%8B")
        );
        let filter = Filter {
            org: Some(OrgCode::parse("soumu").unwrap()),
            progress: Some(Progress::NotOpened),
            status: None,
        };
        let page = dashboard_page(
            frame(),
            &d,
            &filter,
            ProxyForm::default(),
            FormErrors::default(),
        );
        let codes: Vec<&str> = page.members.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(codes, ["a1"]);
        assert!(page.counts.iter().any(|r| r.progress[0].current));
        let html = page.render().unwrap();
        assert!(html.contains("id=\"drill-banner\""));
        assert!(html.contains("総務部（下位組織を含む）・未開封"));
        assert!(html.contains("name=\"back_progress\" value=\"not_opened\""));
        assert!(
            html.contains("<option value=\"a1\""),
            "the proxy form offers the members shown"
        );
        assert!(!html.contains("<option value=\"a2\""));
        assert!(html.contains("id=\"clear-button\"") && html.contains("id=\"close-button\""));
        assert!(!html.contains("<i>自宅"));
        assert!(!html.contains("style="));
        let actual = dashboard_page(
            frame(),
            &dashboard(false),
            &Filter::default(),
            ProxyForm::default(),
            FormErrors::default(),
        )
        .render()
        .unwrap();
        assert!(!actual.contains("id=\"drill-banner\""));
        assert!(
            actual.contains("131016/admin"),
            "the proxy's account is shown"
        );
    }

    #[test]
    fn a_closed_roll_call_offers_no_action() {
        let mut d = dashboard(false);
        d.call.closed = true;
        let html = dashboard_page(
            frame(),
            &d,
            &Filter::default(),
            ProxyForm::default(),
            FormErrors::default(),
        )
        .render()
        .unwrap();
        assert!(html.contains("id=\"closed-panel\""));
        assert!(!html.contains("id=\"resend-button\""));
        assert!(!html.contains("id=\"proxy-form\""));
        assert!(!html.contains("id=\"close-button\""));
    }

    // R: K-08 — a withdrawn roll-call says 取消 and why, and offers no action.
    #[test]
    fn a_cancelled_roll_call_says_so_and_offers_no_action() {
        let mut d = dashboard(false);
        d.call.cancelled = true;
        d.listed = Some(crate::store::rollcall::Listed {
            call: d.call.clone(),
            started_at: chrono::Utc::now(),
            started_by: "131016/system".into(),
            closed_at: None,
            cancelled_at: Some(chrono::Utc::now()),
            cancel_reason: "地震情報が取り消されました".into(),
            recipients: 3,
            answered: 2,
        });
        let html = dashboard_page(
            frame(),
            &d,
            &Filter::default(),
            ProxyForm::default(),
            FormErrors::default(),
        )
        .render()
        .unwrap();
        assert!(html.contains("id=\"cancelled-panel\""), "{html}");
        assert!(html.contains("地震情報が取り消されました"));
        assert!(html.contains(">取消</span>"));
        assert!(!html.contains("id=\"closed-panel\""));
        assert!(!html.contains("id=\"resend-button\""));
        assert!(!html.contains("id=\"proxy-form\""));
        assert!(!html.contains("id=\"clear-button\""));
    }
}
