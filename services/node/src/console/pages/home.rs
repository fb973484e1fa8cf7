//! The first screen: choose the incident to work on, or create one (T-04, T-06; an
//! actual incident only at the national tier, a drill anywhere, ADR 0013).

use anpi_core::account::{self, Operation};
use anpi_core::ids::IncidentId;
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::jurisdiction::Tier;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppError;
use crate::app::entries::NewIncident;
use crate::console::{Clerk, FormErrors, Frame, Posted, Shared, fail, redirect_with, render};

pub struct IncidentRow {
    pub id: String,
    pub name: String,
    pub mode_label: &'static str,
    pub drill: bool,
    pub chosen: bool,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    frame: Frame,
    incidents: Vec<IncidentRow>,
    can_create: bool,
    create_hint: &'static str,
    name: String,
    mode: String,
    modes: Vec<(&'static str, &'static str)>,
    errors: FormErrors,
}

fn home(
    state: &Shared,
    clerk: &Clerk,
    incidents: &[Incident],
    name: String,
    mode: String,
    errors: FormErrors,
) -> Response {
    let tier = state.node.config.tier;
    let rows = incidents
        .iter()
        .rev()
        .map(|i| IncidentRow {
            id: i.id.to_string(),
            name: i.name.clone(),
            mode_label: i.mode.label_ja(),
            drill: i.mode == IncidentMode::Drill,
            chosen: clerk.console.incident == Some(i.id),
            created_at: crate::console::jst(i.created_at),
        })
        .collect();
    let modes = if tier == Tier::National {
        vec![("actual", "実事案"), ("drill", "訓練")]
    } else {
        vec![("drill", "訓練")]
    };
    render(&HomePage {
        frame: Frame::new(state, clerk, "/", incidents),
        incidents: rows,
        can_create: account::permits(clerk.session.role, Operation::CreateIncident, tier),
        create_hint: if tier == Tier::National {
            "実事案は全国のノードへ配信されます。訓練は「訓練」を選んでください。"
        } else {
            "このノードで作成できるのは訓練だけです（報告されず、このノードの中だけで使われます）。実事案は消防庁（国）が作成し、配信されます。"
        },
        name,
        mode,
        modes,
        errors,
    })
}

pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => home(
            &state,
            &clerk,
            &incidents,
            String::new(),
            "drill".into(),
            FormErrors::default(),
        ),
        Err(error) => fail(error),
    }
}

#[derive(Deserialize)]
pub struct ChooseForm {
    #[serde(default)]
    incident: String,
}

pub async fn choose(State(state): State<Shared>, posted: Posted<ChooseForm>) -> Response {
    let Posted { clerk, form } = posted;
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    let chosen = form
        .incident
        .parse::<IncidentId>()
        .ok()
        .and_then(|id| incidents.iter().find(|i| i.id == id));
    match chosen {
        Some(incident) => {
            let id = incident.id;
            state.sessions.update(&clerk.id, |s| s.incident = Some(id));
            redirect_with(
                &state,
                &clerk,
                "/",
                format!(
                    "事案「{}」【{}】で作業します",
                    incident.name,
                    incident.mode.label_ja()
                ),
            )
        }
        None => redirect_with(&state, &clerk, "/", "事案を選んでください"),
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    mode: String,
}

pub async fn create(State(state): State<Shared>, posted: Posted<CreateForm>) -> Response {
    let Posted { clerk, form } = posted;
    let new = NewIncident {
        name: form.name.clone(),
        mode: form.mode.clone(),
        id: None,
    };
    match state.node.create_incident(&clerk.session, new).await {
        Ok(written) => {
            let id = written.incident.id;
            state.sessions.update(&clerk.id, |s| s.incident = Some(id));
            redirect_with(
                &state,
                &clerk,
                "/",
                format!(
                    "事案「{}」【{}】を作成しました。この事案で作業します",
                    written.incident.name,
                    written.incident.mode.label_ja()
                ),
            )
        }
        Err(AppError::Invalid(errors)) => {
            let incidents = state
                .node
                .list_incidents(&clerk.session)
                .await
                .unwrap_or_default();
            home(
                &state,
                &clerk,
                &incidents,
                form.name,
                form.mode,
                FormErrors::of(&errors),
            )
        }
        Err(error) => fail(error),
    }
}
