//! `/rollcall/{id}/drafts` (様式1の下書き, K-08): the members whose latest answer says
//! injured or evacuated, each a Form 1 draft for the clerk (`app::rollcall`'s
//! `rollcall_form1_drafts`: only for a caller who may enter Form 1 and sees the
//! members), with a button that opens Form 1 pre-filled from it
//! (`/rollcall/{id}/drafts/{code}`, `pages::entry::rollcall_draft_page`). Nothing here
//! records anything. The page names the roll-call's mode and the chosen incident, and
//! says when that incident is of the other mode (`form1::check_incident`: a drill's
//! answers go only into a drill incident).

use anpi_core::entry::EntryDraft;
use anpi_core::ids::RollcallId;
use anpi_core::rollcall::Mode;
use anpi_core::rollcall::form1;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::app::rollcall::Form1Draft;
use crate::console::{Clerk, Frame, Shared, fail, jst, message_page, render};

/// One draft as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRow {
    pub code: String,
    pub name: String,
    pub status: String,
    pub comment: String,
    pub answered_at: String,
    /// What Form 1 will say: 負傷（重症）, 避難（負傷なし）…
    pub form1: String,
    pub open_href: String,
}

impl DraftRow {
    pub fn of(id: RollcallId, draft: &Form1Draft) -> DraftRow {
        DraftRow {
            code: draft.member.to_string(),
            name: draft.draft.name.clone(),
            status: draft.status.clone(),
            comment: draft.comment.clone(),
            answered_at: jst(draft.answered_at),
            form1: form1_words(&draft.draft),
            open_href: format!("/rollcall/{id}/drafts/{}", draft.member),
        }
    }
}

/// ⑧ of a draft in words.
fn form1_words(draft: &EntryDraft) -> String {
    match (draft.injury.status.as_str(), draft.injury.severity.as_str()) {
        ("負傷", "") => "負傷（程度は入力時に確認）".into(),
        ("負傷", severity) => format!("負傷（{severity}）"),
        _ => "避難（負傷なし）".into(),
    }
}

#[derive(Template)]
#[template(path = "console/rollcall_drafts.html")]
pub struct DraftsPage {
    pub frame: Frame,
    pub id: String,
    pub title: String,
    pub mode_label: &'static str,
    pub drill: bool,
    /// The chosen incident, 「name」【mode】 (empty: none chosen).
    pub incident: String,
    /// Why the chosen incident cannot take these drafts (empty: it can).
    pub incident_problem: String,
    pub rows: Vec<DraftRow>,
}

impl DraftsPage {
    pub fn here(&self) -> &'static str {
        "list"
    }

    /// The buttons are offered only when the drafts may go into the chosen incident.
    pub fn may_open(&self) -> bool {
        !self.incident.is_empty() && self.incident_problem.is_empty()
    }
}

/// GET /rollcall/{id}/drafts.
pub async fn page(State(state): State<Shared>, Path(id): Path<String>, clerk: Clerk) -> Response {
    let Ok(id) = id.parse::<RollcallId>() else {
        return message_page(
            StatusCode::NOT_FOUND,
            "安否確認が見つかりません",
            "指定された安否確認はありません。「安否確認」の一覧から選んでください。",
        );
    };
    let (call, drafts) = match state.node.rollcall_form1_drafts(&clerk.session, id).await {
        Ok(found) => found,
        Err(error) => return fail(error),
    };
    let incidents = state
        .node
        .list_incidents(&clerk.session)
        .await
        .unwrap_or_default();
    let chosen = clerk
        .console
        .incident
        .and_then(|i| incidents.iter().find(|incident| incident.id == i));
    let (incident, incident_problem) = match chosen {
        Some(incident) => (
            format!("「{}」【{}】", incident.name, incident.mode.label_ja()),
            form1::check_incident(call.mode, incident)
                .err()
                .unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    };
    render(&DraftsPage {
        frame: Frame::new(&state, &clerk, "/rollcall", &incidents),
        id: id.to_string(),
        title: call.title.clone(),
        mode_label: call.mode.label(),
        drill: call.mode == Mode::Drill,
        incident,
        incident_problem,
        rows: drafts.iter().map(|d| DraftRow::of(id, d)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use anpi_core::rollcall::MemberCode;

    use super::super::tests::frame;
    use super::*;

    fn draft(code: &str, status: &str, comment: &str) -> Form1Draft {
        let answered_at = "2026-12-06T01:05:00Z".parse().unwrap();
        let mails: Vec<String> = Vec::new();
        Form1Draft {
            member: MemberCode::parse(code).unwrap(),
            status: status.into(),
            comment: comment.into(),
            answered_at,
            draft: form1::draft(&form1::Answer {
                name: "防災　花子",
                mails: &mails,
                status,
                comment,
                answered_at,
                rollcall: "総合防災訓練",
            })
            .unwrap(),
        }
    }

    fn page(incident_problem: &str, rows: Vec<DraftRow>) -> DraftsPage {
        DraftsPage {
            frame: frame(),
            id: "r1".into(),
            title: "総合防災訓練".into(),
            mode_label: "訓練",
            drill: true,
            incident: "「訓練事案」【訓練】".into(),
            incident_problem: incident_problem.into(),
            rows,
        }
    }

    #[test]
    fn each_draft_has_its_answer_and_a_button_without_personal_data_in_the_url() {
        let id = RollcallId::from_uuid(uuid::Uuid::from_u128(5));
        let rows = vec![
            DraftRow::of(id, &draft("S001", "重傷", "<b>骨折</b>")),
            DraftRow::of(id, &draft("S002", "避難している", "第一小学校")),
        ];
        assert_eq!(rows[0].form1, "負傷（重症）");
        assert_eq!(rows[1].form1, "避難（負傷なし）");
        assert_eq!(rows[0].answered_at, "2026-12-06 10:05");
        assert_eq!(rows[0].open_href, format!("/rollcall/{id}/drafts/S001"));
        let html = page("", rows).render().unwrap();
        assert!(html.contains("id=\"drill-banner\""));
        assert!(html.contains("action=\"/rollcall/"));
        assert!(html.contains("様式1に入力"));
        assert!(html.contains("まだ記録されていません"));
        assert!(!html.contains("<b>骨折"), "escaped");
        assert!(!html.contains("style="));
        assert!(!html.contains("防災　花子\""), "no name in an attribute");
    }

    #[test]
    fn an_incident_of_the_other_mode_offers_no_button() {
        let id = RollcallId::from_uuid(uuid::Uuid::from_u128(5));
        let rows = vec![DraftRow::of(id, &draft("S001", "軽傷", ""))];
        let html = page("訓練の事案にだけ入力できます", rows).render().unwrap();
        assert!(html.contains("id=\"incident-problem\""));
        assert!(!html.contains("id=\"open-S001\""));
        let empty = page("", Vec::new()).render().unwrap();
        assert!(empty.contains("id=\"no-drafts\""));
    }
}
