//! `/rollcall`: the roll-calls sent from this node (newest first) and the send form
//! (K-01, source page 12): organisations to ask (each includes those below it), the
//! title, 災害 or 訓練, the answer choices (the defaults unless changed). A sent
//! roll-call opens its dashboard with what was queued.

use anpi_core::rollcall::call::DEFAULT_STATUSES;
use anpi_core::rollcall::{Mode, OrgCode};
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::{
    OrgOption, caller, frame, grouped, org_options, problem, scope_note, shown, ticked_orgs, value,
    values,
};
use crate::app::AppError;
use crate::console::{Clerk, FormErrors, Frame, Posted, Shared, fail, jst, redirect_with, render};
use crate::store::rollcall::Listed;

/// One roll-call of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub id: String,
    pub title: String,
    pub mode_label: &'static str,
    pub drill: bool,
    pub started_at: String,
    pub started_by: String,
    pub recipients: i64,
    pub answered: i64,
    pub round: i32,
    pub closed: bool,
    pub closed_at: String,
    /// Withdrawn (取消, K-08) and when.
    pub cancelled: bool,
    pub cancelled_at: String,
}

impl CallRow {
    pub fn of(listed: &Listed) -> CallRow {
        CallRow {
            id: listed.call.id.to_string(),
            title: listed.call.title.clone(),
            mode_label: listed.call.mode.label(),
            drill: listed.call.mode == Mode::Drill,
            started_at: jst(listed.started_at),
            started_by: listed.started_by.clone(),
            recipients: listed.recipients,
            answered: listed.answered,
            round: listed.call.round,
            closed: listed.call.closed,
            closed_at: listed.closed_at.map(jst).unwrap_or_default(),
            cancelled: listed.call.cancelled,
            cancelled_at: listed.cancelled_at.map(jst).unwrap_or_default(),
        }
    }
}

/// What the send form holds (as typed, when it comes back with problems).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendForm {
    pub orgs: Vec<String>,
    pub title: String,
    /// `actual` / `drill`; empty: not chosen yet.
    pub mode: String,
    pub statuses: String,
}

#[derive(Template)]
#[template(path = "console/rollcall_list.html")]
pub struct ListPage {
    pub frame: Frame,
    pub calls: Vec<CallRow>,
    pub orgs: Vec<Vec<OrgOption>>,
    pub form: SendForm,
    pub default_statuses: String,
    pub scope_note: Option<String>,
    pub errors: FormErrors,
}

impl ListPage {
    /// The entry of the roll-call menu this page is.
    pub fn here(&self) -> &'static str {
        "list"
    }
}

async fn show(state: &Shared, clerk: &Clerk, form: SendForm, errors: Vec<FieldError>) -> Response {
    let who = match caller(state, clerk).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let listed = match state.node.rollcall_list(&clerk.session).await {
        Ok(listed) => listed,
        Err(error) => return fail(error),
    };
    let refused = !errors.is_empty();
    let page = ListPage {
        frame: frame(state, clerk).await,
        calls: listed.iter().map(CallRow::of).collect(),
        orgs: grouped(org_options(&who.tree, &who.authority, &form.orgs)),
        form,
        default_statuses: DEFAULT_STATUSES.join("、"),
        scope_note: scope_note(&who.tree, &who.authority),
        errors: shown(&errors, ""),
    };
    let mut response = render(&page);
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /rollcall.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show(&state, &clerk, SendForm::default(), Vec::new()).await
}

/// The answer choices as typed: one a line, or separated by 、 or commas.
pub fn split_statuses(text: &str) -> Vec<String> {
    text.split(['\n', '\r', '、', ',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the clerk is told after sending.
pub fn sent_notice(recipients: i64, mails: usize, without_mail: usize) -> String {
    let mut text = format!(
        "安否確認を送信しました。対象 {recipients}人、メール {mails}通を送信待ちに入れました（順に送信します）。"
    );
    if without_mail > 0 {
        text.push_str(&format!(
            "メールアドレスが登録されていない職員 {without_mail}人には送信していません。電話などで確認してください。"
        ));
    } else {
        text.push_str("メールアドレスが登録されていない職員はいません（0人）。");
    }
    text
}

/// POST /rollcall: `org` (repeated), `title`, `mode`, `statuses`.
pub async fn start(State(state): State<Shared>, posted: Posted<Vec<(String, String)>>) -> Response {
    let Posted { clerk, form } = posted;
    let typed = SendForm {
        orgs: values(&form, "org"),
        title: value(&form, "title").to_string(),
        mode: value(&form, "mode").to_string(),
        statuses: value(&form, "statuses").to_string(),
    };
    let (orgs, mut errors): (Vec<OrgCode>, Vec<FieldError>) =
        ticked_orgs(&form, "org", "rollcall_orgs", "配信先の組織");
    // Every missing choice at once (the use case names only its first refusal).
    if orgs.is_empty() && errors.is_empty() {
        errors.push(problem(
            "rollcall_orgs",
            "配信先の組織",
            "配信先の組織を1つ以上選んでください",
        ));
    }
    if typed.title.trim().is_empty() {
        errors.push(problem("rollcall_title", "件名", "件名を入力してください"));
    }
    let mode = Mode::parse(&typed.mode);
    if mode.is_none() {
        errors.push(problem(
            "mode",
            "災害・訓練の別",
            "「災害」か「訓練」かを選んでください",
        ));
    }
    let Some(mode) = mode.filter(|_| errors.is_empty()) else {
        return show(&state, &clerk, typed, errors).await;
    };
    let statuses = split_statuses(&typed.statuses);
    match state
        .node
        .rollcall_start(&clerk.session, orgs, &typed.title, mode, &statuses)
        .await
    {
        Ok((written, without_mail)) => {
            let Some(id) = written.rollcall else {
                return fail(AppError::internal("a started roll-call without its ID"));
            };
            let recipients = match state.node.rollcall_list(&clerk.session).await {
                Ok(list) => list
                    .iter()
                    .find(|l| l.call.id == id)
                    .map_or(0, |l| l.recipients),
                Err(error) => return fail(error),
            };
            redirect_with(
                &state,
                &clerk,
                &format!("/rollcall/{id}"),
                sent_notice(recipients, written.mails, without_mail),
            )
        }
        Err(AppError::Invalid(errors)) => show(&state, &clerk, typed, errors).await,
        Err(AppError::Conflict(message)) => {
            show(
                &state,
                &clerk,
                typed,
                vec![problem("send", "送信", message)],
            )
            .await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{frame, tree};
    use super::*;
    use anpi_core::rollcall::Authority;

    #[test]
    fn statuses_split_on_lines_and_commas() {
        assert_eq!(
            split_statuses(" 無事\n出社可、 出社不可 ,,"),
            ["無事", "出社可", "出社不可"]
        );
        assert!(split_statuses("  \n ").is_empty());
        let notice = sent_notice(4, 5, 1);
        assert!(notice.contains("対象 4人") && notice.contains("5通") && notice.contains("1人"));
        assert!(sent_notice(4, 4, 0).contains("いません（0人）"));
    }

    #[test]
    fn the_list_marks_drills_and_the_form_keeps_what_was_typed() {
        let page = ListPage {
            frame: frame(),
            calls: vec![
                CallRow {
                    id: "0190".into(),
                    title: "<b>訓練</b>".into(),
                    mode_label: "訓練",
                    drill: true,
                    started_at: "2026-11-21 10:00".into(),
                    started_by: "131016/admin".into(),
                    recipients: 4,
                    answered: 1,
                    round: 1,
                    closed: false,
                    closed_at: String::new(),
                    cancelled: false,
                    cancelled_at: String::new(),
                },
                CallRow {
                    id: "0192".into(),
                    title: "東京都２３区で震度5強の地震".into(),
                    mode_label: "災害",
                    drill: false,
                    started_at: "2026-11-20 11:00".into(),
                    started_by: "131016/system".into(),
                    recipients: 5,
                    answered: 0,
                    round: 1,
                    closed: false,
                    closed_at: String::new(),
                    cancelled: true,
                    cancelled_at: "2026-11-20 11:30".into(),
                },
                CallRow {
                    id: "0191".into(),
                    title: "震度6弱".into(),
                    mode_label: "災害",
                    drill: false,
                    started_at: "2026-11-20 10:00".into(),
                    started_by: "131016/admin".into(),
                    recipients: 9,
                    answered: 9,
                    round: 2,
                    closed: true,
                    closed_at: "2026-11-20 18:00".into(),
                    cancelled: false,
                    cancelled_at: String::new(),
                },
            ],
            orgs: grouped(org_options(
                &tree(),
                &Authority::System,
                &["soumu.bousai".into()],
            )),
            form: SendForm {
                orgs: vec!["soumu.bousai".into()],
                title: "訓練".into(),
                mode: "drill".into(),
                statuses: String::new(),
            },
            default_statuses: DEFAULT_STATUSES.join("、"),
            scope_note: None,
            errors: shown(
                &[problem("rollcall_title", "件名", "件名を入力してください")],
                "",
            ),
        };
        let html = page.render().unwrap();
        assert!(
            html.contains("class=\"tag tag-drill\""),
            "drills are tagged"
        );
        assert!(!html.contains("<b>訓練</b>"));
        assert!(html.contains("href=\"/rollcall/0190\""));
        // R: K-08 — a withdrawn roll-call is listed as 取消 with its time.
        assert!(
            html.contains("<span class=\"tag tag-never\">取消</span> <span class=\"muted\">2026-11-20 11:30</span>"),
            "{html}"
        );
        assert!(
            html.contains("id=\"org-soumu_bousai\" name=\"org\" value=\"soumu.bousai\" checked")
        );
        assert!(html.contains("value=\"drill\" checked"));
        assert!(html.contains("id=\"err-rollcall_title\""));
        assert!(html.contains("下位組織"));
        assert!(!html.contains("style="));
    }
}
