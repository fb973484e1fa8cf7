//! 保存期間・消去 (issue 21 item 4, ADR 0019; guideline 第4 3(2)※, 第5 2(1)※, 第5 4(5)):
//! every incident with the end of its retention period and its state, the form that
//! sets the end (reported upward) and, from that day, the form that purges the
//! incident's personal data from this node, with the incident ID typed again. Only for
//! the administrator. All from `app::retention`; the rules are
//! `anpi_core::retention`'s.

use anpi_core::era;
use anpi_core::ids::IncidentId;
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::app::AppError;
use crate::app::retention::RetentionRow;
use crate::console::{
    Clerk, FormErrors, Frame, Posted, Shared, fail, frame_for, jst, redirect_with, render,
};

/// An incident as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub drill: bool,
    pub created: String,
    /// The end as 令和13年3月31日（2031-03-31）, or empty.
    pub until: String,
    /// `unset` / `kept` / `due` / `purged` (the row's `data-state`).
    pub state: &'static str,
    /// 終了日未設定 / 保存中 / 消去できます / 消去済み（time）.
    pub state_label: String,
    pub records: i64,
}

impl Row {
    pub fn of(row: &RetentionRow, today: NaiveDate) -> Row {
        let (state, state_label) = match (row.purged_at, row.until) {
            (Some(at), _) => ("purged", format!("消去済み（{}）", jst(at))),
            (None, None) => ("unset", "終了日未設定".to_string()),
            (None, Some(until)) if today < until => ("kept", "保存中".to_string()),
            (None, Some(_)) => ("due", "保存期間終了・消去できます".to_string()),
        };
        Row {
            id: row.incident.to_string(),
            name: row.name.clone(),
            drill: row.mode == "drill",
            created: jst(row.created_at),
            until: row
                .until
                .map(|d| format!("{}（{d}）", era::format_era(d)))
                .unwrap_or_default(),
            state,
            state_label,
            records: row.records,
        }
    }

    pub fn purged(&self) -> bool {
        self.state == "purged"
    }
}

/// What was typed (kept when refused).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    pub incident_id: String,
    #[serde(default)]
    pub retention_until: String,
    #[serde(default)]
    pub purge_incident: String,
    #[serde(default)]
    pub confirm: String,
}

#[derive(Template)]
#[template(path = "console/retention.html")]
pub struct RetentionPage {
    pub frame: Frame,
    pub rows: Vec<Row>,
    pub typed: Typed,
    pub errors: FormErrors,
}

impl RetentionPage {
    /// The incidents whose end may be set (not purged).
    pub fn settable(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| !r.purged()).collect()
    }

    /// The incidents that may be purged today.
    pub fn due(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.state == "due").collect()
    }
}

fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&anpi_core::entry::jst_offset())
        .date_naive()
}

async fn show(state: &Shared, clerk: &Clerk, typed: Typed, errors: &[FieldError]) -> Response {
    let rows = match state.node.retention_list(&clerk.session).await {
        Ok(rows) => rows,
        Err(error) => return fail(error),
    };
    let today = today();
    let page = RetentionPage {
        frame: frame_for(state, clerk, "/retention").await,
        rows: rows.iter().map(|r| Row::of(r, today)).collect(),
        typed,
        errors: FormErrors::of(errors),
    };
    let mut response = render(&page);
    if !errors.is_empty() && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /retention.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show(&state, &clerk, Typed::default(), &[]).await
}

/// The incident chosen in `field`, or the error to show beside it.
fn chosen(field: &str, text: &str) -> Result<IncidentId, FieldError> {
    text.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "事案を選んでください"))
}

/// A refusal shown beside the form's fields: mistakes beside theirs, the incident's
/// state (no end yet, not reported, purged) beside the incident chosen in `field`.
async fn refused(
    state: &Shared,
    clerk: &Clerk,
    typed: Typed,
    field: &str,
    error: AppError,
) -> Response {
    let errors = match error {
        AppError::Invalid(errors) => errors,
        AppError::Conflict(message) | AppError::NotFound(message) => {
            vec![FieldError::new(field, message)]
        }
        other => return fail(other),
    };
    show(state, clerk, typed, &errors).await
}

/// POST /retention/until: `incident_id`, `retention_until`.
pub async fn set_until(State(state): State<Shared>, posted: Posted<Typed>) -> Response {
    let Posted { clerk, form } = posted;
    let incident = match chosen("incident_id", &form.incident_id) {
        Ok(incident) => incident,
        Err(error) => return show(&state, &clerk, form, &[error]).await,
    };
    match state
        .node
        .set_retention(&clerk.session, incident, &form.retention_until)
        .await
    {
        Ok(done) => redirect_with(&state, &clerk, "/retention", done.message),
        Err(error) => refused(&state, &clerk, form, "incident_id", error).await,
    }
}

/// POST /retention/purge: `purge_incident`, `confirm` (the incident ID again).
pub async fn purge(State(state): State<Shared>, posted: Posted<Typed>) -> Response {
    let Posted { clerk, form } = posted;
    let incident = match chosen("purge_incident", &form.purge_incident) {
        Ok(incident) => incident,
        Err(error) => return show(&state, &clerk, form, &[error]).await,
    };
    match state
        .node
        .purge_incident(&clerk.session, incident, &form.confirm)
        .await
    {
        Ok(done) => redirect_with(&state, &clerk, "/retention", done.message),
        Err(error) => refused(&state, &clerk, form, "purge_incident", error).await,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::console::pages::rollcall::tests::frame;

    fn row(until: Option<&str>, purged: bool) -> RetentionRow {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        RetentionRow {
            incident: uuid::Uuid::now_v7(),
            name: "<b>訓練</b>".into(),
            mode: "drill".into(),
            created_at: at,
            until: until.map(|d| d.parse().unwrap()),
            purged_at: purged.then_some(at),
            records: 3,
        }
    }

    #[test]
    fn each_incident_shows_its_state_and_only_due_ones_may_be_purged() {
        let today: NaiveDate = "2031-04-01".parse().unwrap();
        let rows: Vec<Row> = [
            row(None, false),
            row(Some("2031-12-31"), false),
            row(Some("2031-03-31"), false),
            row(Some("2031-03-31"), true),
        ]
        .iter()
        .map(|r| Row::of(r, today))
        .collect();
        let states: Vec<_> = rows.iter().map(|r| r.state).collect();
        assert_eq!(states, ["unset", "kept", "due", "purged"]);
        assert_eq!(rows[2].until, "令和13年3月31日（2031-03-31）");
        assert!(rows[3].state_label.starts_with("消去済み"));
        let page = RetentionPage {
            frame: frame(),
            rows,
            typed: Typed::default(),
            errors: FormErrors::one("confirm", "確認のため"),
        };
        assert_eq!(page.settable().len(), 3);
        assert_eq!(page.due().len(), 1);
        let html = page.render().unwrap();
        assert!(html.contains("id=\"retention-form\""));
        assert!(html.contains("id=\"purge-form\""));
        assert!(html.contains("id=\"err-confirm\""));
        assert!(!html.contains("<b>訓練"), "escaped");
        assert!(!html.contains("style="));
    }

    #[test]
    fn without_a_due_incident_there_is_no_purge_form() {
        let page = RetentionPage {
            frame: frame(),
            rows: vec![Row::of(&row(None, false), "2031-04-01".parse().unwrap())],
            typed: Typed::default(),
            errors: FormErrors::default(),
        };
        let html = page.render().unwrap();
        assert!(!html.contains("id=\"purge-form\""));
        assert!(html.contains("id=\"no-due\""));
    }
}
