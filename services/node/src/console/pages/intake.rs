//! 受付停止・再開 (R-03; guideline 第4 4【システム運用上のルール】①②): pause and resume
//! the node's own registrations and (prefecture and national tiers) the intake of
//! subordinates' reports, with the current state of each and the reports waiting in
//! JetStream. All from `app::reports`.

use anpi_core::account::{self, Operation};
use anpi_core::jurisdiction::Tier;
use anpi_core::report::IntakeScope;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppError;
use crate::app::reports::{IntakeView, parse_scope};
use crate::console::{Clerk, Frame, Posted, Shared, fail, jst, redirect_with, render};
use crate::store::intake::ScopeState;

/// One scope as shown.
#[derive(Debug, Clone)]
pub struct ScopeView {
    /// `own` / `reports` (the form value and the ids `intake-own`, `pause-own` …).
    pub scope: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub paused: bool,
    /// 受付中 / 一時停止中.
    pub state_label: &'static str,
    /// When it last changed (empty: never).
    pub since: String,
    /// Who changed it (empty: never).
    pub by: String,
}

impl ScopeView {
    pub fn of(scope: IntakeScope, state: &ScopeState) -> ScopeView {
        ScopeView {
            scope: scope.as_str(),
            title: scope.label_ja(),
            explanation: match scope {
                IntakeScope::Own => {
                    "一時停止中は、このノードでの登録・退去の入力を受け付けません（入力した人にはその旨が表示されます）。重複の削除・統合などの整理はできます。整理が終わったら再開してください。"
                }
                IntakeScope::Reports => {
                    "一時停止中は、下位団体からの報告を取り込まずに待たせます。再開すると、待っていた報告を届いた順に取り込みます。"
                }
            },
            paused: state.paused,
            state_label: state_label(state.paused),
            since: state.changed_at.map(jst).unwrap_or_default(),
            by: state.actor.clone().unwrap_or_default(),
        }
    }
}

pub fn state_label(paused: bool) -> &'static str {
    if paused {
        "一時停止中"
    } else {
        "受付中"
    }
}

/// The scopes a node of `tier` shows: a municipality receives no reports.
pub fn scopes(tier: Tier) -> &'static [IntakeScope] {
    if tier == Tier::Municipality {
        &[IntakeScope::Own]
    } else {
        &[IntakeScope::Own, IntakeScope::Reports]
    }
}

#[derive(Template)]
#[template(path = "console/intake.html")]
pub struct IntakePage {
    pub frame: Frame,
    pub scopes: Vec<ScopeView>,
    /// Reports waiting in JetStream (-1: unknown); shown when `receives`.
    pub waiting: i64,
    pub receives: bool,
    pub can_set: bool,
}

fn intake_page(
    state: &Shared,
    clerk: &Clerk,
    view: &IntakeView,
    incidents: &[anpi_core::incident::Incident],
) -> Response {
    let tier = state.node.config.tier;
    render(&IntakePage {
        frame: Frame::new(state, clerk, "/intake", incidents),
        scopes: scopes(tier)
            .iter()
            .map(|scope| ScopeView::of(*scope, view.intake.get(*scope)))
            .collect(),
        waiting: view.waiting_messages,
        receives: tier != Tier::Municipality,
        can_set: account::permits(clerk.session.role, Operation::SetIntake, tier),
    })
}

/// GET /intake.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    match state.node.get_intake(&clerk.session).await {
        Ok(view) => intake_page(&state, &clerk, &view, &incidents),
        Err(error) => fail(error),
    }
}

#[derive(Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    paused: String,
}

/// `true` / `false` as the buttons send them.
pub fn parse_paused(text: &str) -> Option<bool> {
    match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// What the clerk is told after a change.
pub fn changed_message(scope: IntakeScope, paused: bool) -> String {
    if paused {
        format!(
            "「{}」を一時停止しました。整理が終わったら再開してください",
            scope.label_ja()
        )
    } else {
        format!("「{}」を再開しました", scope.label_ja())
    }
}

/// POST /intake: `scope` (`own` / `reports`), `paused` (`true` / `false`).
pub async fn set(State(state): State<Shared>, posted: Posted<IntakeForm>) -> Response {
    let Posted { clerk, form } = posted;
    let scope = match parse_scope(&form.scope) {
        Ok(scope) => scope,
        Err(AppError::Invalid(errors)) => {
            return redirect_with(
                &state,
                &clerk,
                "/intake",
                anpi_core::validation::summarize(&errors),
            );
        }
        Err(error) => return fail(error),
    };
    let Some(paused) = parse_paused(&form.paused) else {
        return redirect_with(
            &state,
            &clerk,
            "/intake",
            "一時停止か再開かを選んでください",
        );
    };
    match state.node.set_intake(&clerk.session, scope, paused).await {
        Ok(_) => redirect_with(&state, &clerk, "/intake", changed_message(scope, paused)),
        Err(AppError::Conflict(message)) => redirect_with(&state, &clerk, "/intake", message),
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn labels_and_scopes_follow_the_state_and_tier() {
        assert_eq!(state_label(true), "一時停止中");
        assert_eq!(state_label(false), "受付中");
        assert_eq!(scopes(Tier::Municipality), &[IntakeScope::Own]);
        assert_eq!(scopes(Tier::Prefecture).len(), 2);
        assert_eq!(parse_paused("true"), Some(true));
        assert_eq!(parse_paused("yes"), None);
        let view = ScopeView::of(
            IntakeScope::Reports,
            &ScopeState {
                paused: true,
                changed_at: Some(Utc::now()),
                actor: Some("130001/admin".into()),
            },
        );
        assert_eq!(view.scope, "reports");
        assert_eq!(view.state_label, "一時停止中");
        assert_eq!(view.by, "130001/admin");
        assert!(changed_message(IntakeScope::Own, true).contains("一時停止しました"));
    }

    #[test]
    fn the_page_shows_both_buttons_states_and_no_style() {
        let page = IntakePage {
            frame: super::super::organise::tests::frame(),
            scopes: vec![
                ScopeView::of(IntakeScope::Own, &ScopeState::default()),
                ScopeView::of(
                    IntakeScope::Reports,
                    &ScopeState {
                        paused: true,
                        changed_at: Some(Utc::now()),
                        actor: Some("<script>x</script>".into()),
                    },
                ),
            ],
            waiting: 3,
            receives: true,
            can_set: true,
        };
        let html = page.render().unwrap();
        assert!(html.contains("id=\"pause-own\""));
        assert!(html.contains("id=\"resume-reports\""));
        assert!(!html.contains("id=\"resume-own\""));
        assert!(html.contains("id=\"waiting-messages\""));
        assert!(!html.contains("<script>x"));
        assert!(!html.contains("style="));
    }
}
